/**
 * Per-client publish quotas, as token buckets (protocol/token-bucket.ts) kept per identity (a node by
 * its name, so a reconnect does not refill them; a join client by its client id):
 *
 * - messages a second and bytes a second over every channel but the heartbeat;
 * - (a SUBSCRIBE's filters count as messages too: authorize-subscribe.ts)
 * - heartbeats on a bucket of their own, so that a node busy reporting never has its heartbeats
 *   dropped (they are also small: acl.ts caps them at MAX_HEARTBEAT_BYTES), and a flood of
 *   heartbeats costs the node only heartbeats.
 *
 * A message over a quota is dropped: it reaches none of the hub's handlers (a QoS 1 one is still
 * acknowledged: MQTT 3.1.1 has no negative acknowledgement, and the agent's reports are
 * level-triggered, the next full one says it all again). Every drop takes one token from a drop
 * allowance; a client that empties it (it keeps sending over its quota) is disconnected. The
 * allowance refills slowly (one a second by default), so a flood resumed right after a reconnect is
 * cut off at its first drop.
 *
 * The defaults leave an agent room several times over: it sends a heartbeat every 5 s, pod status
 * deltas at most 4 a second, a full pod report every 30 s and its status every 60 s.
 */
import { createTokenBucket, type TokenBucket } from '../../protocol/token-bucket.js';
import type { QuotaLimit } from './broker-metrics.js';
import type { ClientIdentity } from './identity.js';

export interface PublishQuotaOptions {
  /** Messages a second, heartbeats aside (default 20), and how many at once (default 200). */
  messagesPerSecond?: number;
  messageBurst?: number;
  /** Payload bytes a second, heartbeats aside (default 1 MiB), and how many at once (default 16 MiB; at least the payload limit). */
  bytesPerSecond?: number;
  byteBurst?: number;
  /** Heartbeats a second (default 2) and at once (default 10). */
  heartbeatsPerSecond?: number;
  heartbeatBurst?: number;
  /** Stream frames a second and at once (default 200, 1000), and their bytes (default 4 MiB a second, 16 MiB at once). */
  streamMessagesPerSecond?: number;
  streamMessageBurst?: number;
  streamBytesPerSecond?: number;
  streamByteBurst?: number;
  /** Drops tolerated before a disconnect (default 100), refilling this many a second (default 1). */
  dropAllowance?: number;
  dropAllowancePerSecond?: number;
  /** Clients remembered at most, the least recently heard forgotten first (default 10 000). */
  maxTracked?: number;
  clock?: () => number;
}

export const PUBLISH_QUOTA_DEFAULTS = {
  messagesPerSecond: 20,
  messageBurst: 200,
  bytesPerSecond: 1024 * 1024,
  byteBurst: 16 * 1024 * 1024,
  heartbeatsPerSecond: 2,
  heartbeatBurst: 10,
  streamMessagesPerSecond: 200,
  streamMessageBurst: 1000,
  streamBytesPerSecond: 4 * 1024 * 1024,
  streamByteBurst: 16 * 1024 * 1024,
  dropAllowance: 100,
  dropAllowancePerSecond: 1,
  maxTracked: 10_000,
} as const;

export type QuotaVerdict =
  | { action: 'accept' }
  | { action: 'drop'; limit: QuotaLimit; reason: string }
  | { action: 'disconnect'; limit: QuotaLimit; reason: string };

/** The key a client's quotas are kept under: a node's name (across its connections), a join client's id. */
export function quotaKey(identity: ClientIdentity): string {
  return identity.kind === 'node' ? `node:${identity.node}` : `join:${identity.clientId}`;
}

export interface PublishQuota {
  /** Charge one message of `bytes` from `key` against its quotas, now: a heartbeat (true), a stream frame ('stream') or any other (false). */
  charge(key: string, kind: boolean | 'stream', bytes: number): QuotaVerdict;
  /** Clients remembered now (for tests of the bound). */
  size(): number;
}

interface ClientBuckets {
  messages: TokenBucket;
  bytes: TokenBucket;
  heartbeats: TokenBucket;
  streamMessages: TokenBucket;
  streamBytes: TokenBucket;
  drops: TokenBucket;
}

export function createPublishQuota(opts: PublishQuotaOptions = {}): PublishQuota {
  const o = { ...PUBLISH_QUOTA_DEFAULTS, ...opts };
  const clock = opts.clock ?? Date.now;
  const clients = new Map<string, ClientBuckets>();

  function bucketsOf(key: string, now: number): ClientBuckets {
    let b = clients.get(key);
    if (b) clients.delete(key); // re-insert: the Map's order is the order of last use
    else {
      b = {
        messages: createTokenBucket({ capacity: o.messageBurst, ratePerSecond: o.messagesPerSecond, now }),
        bytes: createTokenBucket({ capacity: o.byteBurst, ratePerSecond: o.bytesPerSecond, now }),
        heartbeats: createTokenBucket({ capacity: o.heartbeatBurst, ratePerSecond: o.heartbeatsPerSecond, now }),
        streamMessages: createTokenBucket({ capacity: o.streamMessageBurst, ratePerSecond: o.streamMessagesPerSecond, now }),
        streamBytes: createTokenBucket({ capacity: o.streamByteBurst, ratePerSecond: o.streamBytesPerSecond, now }),
        drops: createTokenBucket({ capacity: o.dropAllowance, ratePerSecond: o.dropAllowancePerSecond, now }),
      };
    }
    clients.set(key, b);
    while (clients.size > o.maxTracked) clients.delete(clients.keys().next().value!);
    return b;
  }

  return {
    charge(key, kind, bytes) {
      const now = clock();
      const b = bucketsOf(key, now);
      let limit: QuotaLimit | undefined;
      let reason = '';
      if (kind === 'stream') {
        if (b.streamMessages.level(now) < 1) [limit, reason] = ['stream-messages', `more than ${o.streamMessagesPerSecond} stream frames a second (burst ${o.streamMessageBurst})`];
        else if (!b.streamBytes.take(bytes, now)) [limit, reason] = ['stream-bytes', `more than ${o.streamBytesPerSecond} stream bytes a second (burst ${o.streamByteBurst})`];
        else b.streamMessages.take(1, now);
      } else if (kind) {
        if (!b.heartbeats.take(1, now)) [limit, reason] = ['heartbeats', `more than ${o.heartbeatsPerSecond} heartbeats a second (burst ${o.heartbeatBurst})`];
      } else if (b.messages.level(now) < 1) {
        [limit, reason] = ['messages', `more than ${o.messagesPerSecond} messages a second (burst ${o.messageBurst})`];
      } else if (!b.bytes.take(bytes, now)) {
        [limit, reason] = ['bytes', `more than ${o.bytesPerSecond} bytes a second (burst ${o.byteBurst})`];
      } else {
        b.messages.take(1, now);
      }
      if (limit === undefined) return { action: 'accept' };
      if (b.drops.take(1, now)) return { action: 'drop', limit, reason };
      return { action: 'disconnect', limit, reason: `kept publishing over its quota: ${reason}` };
    },
    size: () => clients.size,
  };
}
