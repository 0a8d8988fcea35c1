/**
 * The broker's access rules as pure functions: who may publish or subscribe where. The aedes hooks in
 * authorize-publish.ts and authorize-subscribe.ts apply them; tests call them directly.
 *
 * - A node may publish only to its own drover/v1/nodes/<name>/{status,pods,presence,reply/<id>} and
 *   subscribe only to its own drover/v1/nodes/<name>/{desired,cmd}. No wildcards at all.
 * - A join client may publish only to drover/v1/join/<its clientId>/request and subscribe only to
 *   drover/v1/join/<its clientId>/reply.
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

/** The last will a client may register: a node its own presence topic, a join client none. */
export function checkWill(identity: ClientIdentity, willTopic: string | undefined): AclVerdict {
  if (willTopic === undefined) return undefined;
  if (identity.kind === 'join') return 'join clients may not register a last will';
  const parsed = parseTopic(willTopic);
  if (!parsed || parsed.kind !== 'node' || parsed.node !== identity.node || parsed.channel !== 'presence') {
    return `a node's last will must go to its own presence topic, not ${willTopic}`;
  }
  return undefined;
}
