/**
 * aedes hook `authorizePublish`: every PUBLISH from a client, last wills included, passes here.
 *
 * 1. Refused, and the client's connection closed (MQTT 3.1.1 has no negative acknowledgement), each
 *    logged at warn and counted: no identity; a payload over `maxPayloadBytes`; a topic the ACL
 *    refuses (acl.ts `checkPublish`); a retained message anywhere but the node's own presence, QoS 2,
 *    or a presence or heartbeat message over its small limit (acl.ts `checkPublishFlags`).
 * 2. Charged against the client's publish quotas (publish-quota.ts): over one, the message is dropped
 *    (added to `dropped`, which the broker's in-process delivery skips, and never retained); a client
 *    that keeps it up is disconnected. Drops are logged at warn at most once per client every 10 s.
 *
 * The hub's own in-process publishes do not pass here.
 */
import type { AedesOptions, AedesPublishPacket } from 'aedes';
import type { Logger } from '../../protocol/logger.js';
import { parseTopic } from '../../protocol/topics.js';
import { checkPublish, checkPublishFlags } from './acl.js';
import type { BrokerMetrics, PublishRefusal } from './broker-metrics.js';
import type { ClientRegistry } from './client-registry.js';
import { PublishDeniedError, QuotaExceededError } from './errors.js';
import type { ClientIdentity } from './identity.js';
import { quotaKey, type PublishQuota } from './publish-quota.js';

type AuthorizePublishHandler = NonNullable<AedesOptions['authorizePublish']>;

/** A client's drops are logged at warn at most this often (the rest at debug; all are counted). */
export const DROP_LOG_INTERVAL_MS = 10_000;

export interface AuthorizePublishDeps {
  registry: ClientRegistry;
  maxPayloadBytes: number;
  logger: Logger;
  metrics: BrokerMetrics;
  /** Per-client quotas; none = no limit. */
  quota?: PublishQuota;
  /** Packets dropped over a quota: the broker does not hand them to its in-process subscribers. */
  dropped: WeakSet<object>;
  clock?: () => number;
}

export function createAuthorizePublish(deps: AuthorizePublishDeps): AuthorizePublishHandler {
  const { registry, maxPayloadBytes, logger, metrics, quota, dropped } = deps;
  const clock = deps.clock ?? Date.now;
  /** Per quota key: when a drop was last logged at warn, and the drops since. */
  const dropLog = new Map<string, { at: number; since: number }>();

  function refusal(identity: ClientIdentity | undefined, packet: Pick<AedesPublishPacket, 'topic' | 'retain' | 'qos'>, size: number): [PublishRefusal, string] | undefined {
    if (!identity) return ['unauthenticated', 'client is not authenticated'];
    if (size > maxPayloadBytes) return ['too-large', `payload of ${size} bytes exceeds the limit of ${maxPayloadBytes}`];
    const acl = checkPublish(identity, packet.topic);
    if (acl !== undefined) return ['acl', acl];
    const flags = checkPublishFlags(packet.topic, { retain: packet.retain, qos: packet.qos, bytes: size });
    if (flags !== undefined) return [packet.qos > 1 ? 'qos' : packet.retain ? 'retained' : 'too-large', flags];
    return undefined;
  }

  function logDrop(key: string, fields: Record<string, unknown>): void {
    const now = clock();
    const last = dropLog.get(key);
    if (last && now - last.at < DROP_LOG_INTERVAL_MS) {
      last.since++;
      logger.debug(fields, 'MQTT message dropped: client over its publish quota');
      return;
    }
    dropLog.delete(key);
    dropLog.set(key, { at: now, since: 0 });
    if (dropLog.size > 10_000) dropLog.delete(dropLog.keys().next().value!);
    logger.warn({ ...fields, droppedSinceLastWarning: last?.since ?? 0 }, 'MQTT message dropped: client over its publish quota');
  }

  return (client, packet, callback) => {
    const clientId = client?.id ?? '(none)';
    const identity = client ? registry.identityOf(client) : undefined;
    const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    const refused = refusal(identity, packet, size);
    if (refused) {
      const [why, reason] = refused;
      metrics.publishRefused(why);
      logger.warn({ clientId, topic: packet.topic, bytes: size, retain: packet.retain, qos: packet.qos, reason }, 'MQTT publish refused');
      return callback(new PublishDeniedError(clientId, packet.topic, reason));
    }
    // a last will (published as its connection closes, at most one) is never charged nor dropped
    if (!quota || !identity || client?.closed) return callback(null);
    const parsed = parseTopic(packet.topic);
    const channel = parsed?.kind === 'node' ? parsed.channel : undefined;
    const key = quotaKey(identity);
    const verdict = quota.charge(key, channel === 'stream' ? 'stream' : channel === 'heartbeat', size);
    if (verdict.action === 'accept') return callback(null);
    const fields = { clientId, topic: packet.topic, bytes: size, limit: verdict.limit, reason: verdict.reason };
    if (verdict.action === 'disconnect') {
      metrics.quotaDisconnected(verdict.limit);
      logger.warn(fields, 'MQTT client disconnected: it kept publishing over its quota');
      return callback(new QuotaExceededError(clientId, verdict.reason));
    }
    metrics.quotaDropped(verdict.limit);
    logDrop(key, fields);
    packet.retain = false;
    dropped.add(packet);
    callback(null);
  };
}
