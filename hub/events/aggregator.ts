/**
 * Kubernetes' EventAggregator (client-go tools/record): events that differ only in their message
 * (same source, object, type and reason) are combined once 10 of them came within 10 minutes: from
 * then on they are one event, "(combined from similar events): <latest message>", whose count goes up.
 * A ReplicaSet creating 1,000 pods ("Created pod: x") leaves ten events about it, not a thousand. The
 * key holds the involved object, so events about different objects are never combined.
 */
import type { EventSource, EventType, InvolvedObject } from './recorder.js';

export const AGGREGATE_AFTER = 10;
export const AGGREGATE_WINDOW_MS = 10 * 60_000;
export const COMBINED_PREFIX = '(combined from similar events): ';
const REMEMBERED = 4096;

export interface EventAggregator {
  /** Whether this event is to be combined with its similar ones (10 or more distinct messages in the window). */
  combine(obj: InvolvedObject, type: EventType, reason: string, message: string, source: EventSource, now: number): boolean;
}

export function createEventAggregator(opts: { after?: number; windowMs?: number } = {}): EventAggregator {
  const after = opts.after ?? AGGREGATE_AFTER;
  const windowMs = opts.windowMs ?? AGGREGATE_WINDOW_MS;
  /** aggregate key -> distinct messages seen in the window, and when the window started */
  const seen = new Map<string, { messages: Set<string>; since: number }>();
  return {
    combine(obj, type, reason, message, source, now) {
      const key = JSON.stringify([source.component, source.host ?? '', obj.kind, obj.namespace ?? '', obj.name, obj.uid ?? '', type, reason]);
      let entry = seen.get(key);
      if (!entry || now - entry.since > windowMs) entry = { messages: new Set(), since: now };
      seen.delete(key);
      seen.set(key, entry);
      if (seen.size > REMEMBERED) seen.delete(seen.keys().next().value as string);
      entry.messages.add(message);
      // from the 10th distinct message on, every similar event bumps one combined event
      return entry.messages.size >= after;
    },
  };
}
