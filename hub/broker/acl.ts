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

export function checkPublish(identity: ClientIdentity, topic: string): AclVerdict {
  if (hasWildcard(topic)) return 'wildcards are not allowed in a topic name';
  const parsed = parseTopic(topic);
  if (!parsed) return 'topic is outside the drover/v1 layout';
  if (identity.kind === 'node') {
    if (parsed.kind !== 'node') return 'a node may publish only under its own drover/v1/nodes/<name>/';
    if (parsed.node !== identity.node) return `topic belongs to node ${parsed.node}`;
    if (!(NODE_UP_CHANNELS as readonly string[]).includes(parsed.channel)) return `nodes may not publish on ${parsed.channel}`;
    return undefined;
  }
  if (parsed.kind !== 'join') return 'a join client may publish only its own join request';
  if (parsed.clientId !== identity.clientId) return `topic belongs to join client ${parsed.clientId}`;
  if (parsed.channel !== 'request') return 'a join client may publish only its own join request';
  return undefined;
}

export function checkSubscribe(identity: ClientIdentity, filter: string): AclVerdict {
  if (hasWildcard(filter)) return 'wildcard subscriptions are not allowed';
  const parsed = parseTopic(filter);
  if (!parsed) return 'topic is outside the drover/v1 layout';
  if (identity.kind === 'node') {
    if (parsed.kind !== 'node') return 'a node may subscribe only under its own drover/v1/nodes/<name>/';
    if (parsed.node !== identity.node) return `topic belongs to node ${parsed.node}`;
    if (!(NODE_DOWN_CHANNELS as readonly string[]).includes(parsed.channel)) return `nodes may not subscribe to ${parsed.channel}`;
    return undefined;
  }
  if (parsed.kind !== 'join') return 'a join client may subscribe only to its own join reply';
  if (parsed.clientId !== identity.clientId) return `topic belongs to join client ${parsed.clientId}`;
  if (parsed.channel !== 'reply') return 'a join client may subscribe only to its own join reply';
  return undefined;
}

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
