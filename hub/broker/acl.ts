/**
 * The broker's access rules as pure functions: who may publish or subscribe where. The aedes hooks in
 * authorize-publish.ts and authorize-subscribe.ts apply them; tests call them directly.
 *
 * - A node may publish only to its own drover/v1/nodes/<name>/{status,heartbeat,pods,presence,reply/<id>,stream/<id>}
 *   and subscribe only to its own drover/v1/nodes/<name>/{desired,network,cmd,streams} and to the cluster's
 *   shared drover/v1/cluster/{network,network/snapshot}, which only the hub publishes (in-process, past the
 *   ACL): no client may publish there. No wildcards at all.
 *   (Which stream ids a node may answer on is the hub's to check: node-streams.ts reads only the
 *   streams it opened with that node.)
 * - A join client may publish only to drover/v1/join/<its clientId>/request and subscribe only to
 *   drover/v1/join/<its clientId>/reply.
 * - No client may have the hub keep a message: the only retained publish allowed is a node's own
 *   presence (the protocol's, at most MAX_PRESENCE_BYTES: one small message per node). QoS 2, which
 *   the protocol never uses (and which makes the broker store each message until PUBREL), is refused.
 */
import { NODE_DOWN_CHANNELS, NODE_UP_CHANNELS, parseTopic } from '../../protocol/topics.js';
import type { ClientIdentity } from './identity.js';

/** undefined = allowed; otherwise why not. */
export type AclVerdict = string | undefined;

function hasWildcard(topic: string): boolean {
  return topic.includes('+') || topic.includes('#');
}

/** What one verb allows: a node on its own channels of one direction, a join client on one channel of its own. */
interface Access {
  verb: 'publish' | 'subscribe';
  nodeChannels: readonly string[];
  joinChannel: 'request' | 'reply';
  joinWhat: string;
}

function check(identity: ClientIdentity, topic: string, access: Access): AclVerdict {
  const { verb } = access;
  if (hasWildcard(topic)) return verb === 'publish' ? 'wildcards are not allowed in a topic name' : 'wildcard subscriptions are not allowed';
  const parsed = parseTopic(topic);
  if (!parsed) return 'topic is outside the drover/v1 layout';
  if (identity.kind === 'node') {
    if (parsed.kind === 'cluster') return verb === 'subscribe' ? undefined : `only the hub publishes on drover/v1/cluster/${parsed.channel}`;
    if (parsed.kind !== 'node') return `a node may ${verb} only under its own drover/v1/nodes/<name>/`;
    if (parsed.node !== identity.node) return `topic belongs to node ${parsed.node}`;
    if (!access.nodeChannels.includes(parsed.channel)) return verb === 'publish' ? `nodes may not publish on ${parsed.channel}` : `nodes may not subscribe to ${parsed.channel}`;
    return undefined;
  }
  const only = `a join client may ${verb === 'publish' ? 'publish only' : 'subscribe only to'} ${access.joinWhat}`;
  if (parsed.kind !== 'join') return only;
  if (parsed.clientId !== identity.clientId) return `topic belongs to join client ${parsed.clientId}`;
  if (parsed.channel !== access.joinChannel) return only;
  return undefined;
}

const PUBLISH: Access = { verb: 'publish', nodeChannels: NODE_UP_CHANNELS, joinChannel: 'request', joinWhat: 'its own join request' };
const SUBSCRIBE: Access = { verb: 'subscribe', nodeChannels: NODE_DOWN_CHANNELS, joinChannel: 'reply', joinWhat: 'its own join reply' };

export const checkPublish = (identity: ClientIdentity, topic: string): AclVerdict => check(identity, topic, PUBLISH);
export const checkSubscribe = (identity: ClientIdentity, filter: string): AclVerdict => check(identity, filter, SUBSCRIBE);

/**
 * The largest payload of a node's channels whose messages are small by nature: a presence message
 * (about 120 bytes; retained, so this bounds what the hub keeps per node) and a heartbeat (about 200).
 * Any other channel may carry up to the broker's payload limit.
 */
export const MAX_PRESENCE_BYTES = 1024;
export const MAX_HEARTBEAT_BYTES = 4096;
const CHANNEL_MAX_BYTES: Partial<Record<string, number>> = { presence: MAX_PRESENCE_BYTES, heartbeat: MAX_HEARTBEAT_BYTES };

/** What a PUBLISH asks of the broker besides its topic. */
export interface PublishFlags {
  retain: boolean;
  qos: number;
  bytes: number;
}

/** Whether a publish the topic ACL allows may be retained, with that QoS and that size. */
export function checkPublishFlags(topic: string, flags: PublishFlags): AclVerdict {
  if (flags.qos > 1) return 'QoS 2 is not part of the protocol';
  const parsed = parseTopic(topic);
  const channel = parsed?.kind === 'node' ? parsed.channel : undefined;
  const max = channel === undefined ? undefined : CHANNEL_MAX_BYTES[channel];
  if (max !== undefined && flags.bytes > max) return `a ${channel} message may carry at most ${max} bytes, not ${flags.bytes}`;
  if (flags.retain && channel !== 'presence') return "retained messages are allowed only on a node's own presence topic";
  return undefined;
}

/** A last will as the CONNECT packet declares it. */
export interface WillRequest extends PublishFlags {
  topic: string;
}

/** The last will a client may register: a node a small message on its own presence topic, a join client none. */
export function checkWill(identity: ClientIdentity, will: WillRequest | undefined): AclVerdict {
  if (will === undefined) return undefined;
  if (identity.kind === 'join') return 'join clients may not register a last will';
  const parsed = parseTopic(will.topic);
  if (!parsed || parsed.kind !== 'node' || parsed.node !== identity.node || parsed.channel !== 'presence') {
    return `a node's last will must go to its own presence topic, not ${will.topic}`;
  }
  const flags = checkPublishFlags(will.topic, will);
  return flags === undefined ? undefined : `last will refused: ${flags}`;
}
