/**
 * Kubernetes' EventSourceObjectSpamFilter (client-go tools/record): each source and involved object
 * (kind, namespace, name, uid, apiVersion) has a token bucket of 25 events that refills one event
 * every 5 minutes; an event beyond it is dropped. A ReplicaSet creating 10,000 pods records its first
 * 25 SuccessfulCreate events, not 10,000 store writes; a crash-looping pod keeps one BackOff event
 * bumped every 5 minutes. At most 4096 objects are remembered (least recently seen forgotten).
 */
import { createTokenBucket, type TokenBucket } from '../../protocol/token-bucket.js';
import type { EventSource, InvolvedObject } from './recorder.js';

export const SPAM_BURST = 25;
export const SPAM_REFILL_MS = 5 * 60_000;
const REMEMBERED = 4096;

export interface SpamFilter {
  /** True when an event about `obj` from `source` may be recorded now (takes a token). */
  allow(obj: InvolvedObject, source: EventSource, now: number): boolean;
}

export function spamKey(obj: InvolvedObject, source: EventSource): string {
  return JSON.stringify([source.component, source.host ?? '', obj.kind, obj.namespace ?? '', obj.name, obj.uid ?? '', obj.apiVersion ?? '']);
}

export function createSpamFilter(opts: { burst?: number; refillMs?: number } = {}): SpamFilter {
  const burst = opts.burst ?? SPAM_BURST;
  const refillMs = opts.refillMs ?? SPAM_REFILL_MS;
  const buckets = new Map<string, TokenBucket>();
  return {
    allow(obj, source, now) {
      const key = spamKey(obj, source);
      const bucket = buckets.get(key) ?? createTokenBucket({ capacity: burst, refillEveryMs: refillMs, now });
      buckets.delete(key);
      const allowed = bucket.take(1, now);
      buckets.set(key, bucket);
      if (buckets.size > REMEMBERED) buckets.delete(buckets.keys().next().value as string);
      return allowed;
    },
  };
}
