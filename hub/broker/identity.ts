/**
 * Who an MQTT client is, once authenticated. The broker records one identity per connection; the
 * ACL hooks and the hub's in-process subscribers read it.
 */
import { isValidNodeName } from '../../protocol/topics.js';

export type ClientIdentity =
  /** An enrolled node, authenticated with its own credential. */
  | { kind: 'node'; node: string }
  /**
   * A device enrolling with a join token. `token` is kept (in memory only, for this connection) so
   * the join handler can verify it again when the request arrives.
   */
  | { kind: 'join'; clientId: string; tokenId: string; token: string };

/** The MQTT username a node connects with. */
export const NODE_USERNAME_PREFIX = 'node:';
/** The MQTT username a joining device connects with; the password is the join token. */
export const JOIN_USERNAME = 'join';
/** A node's MQTT client id must be exactly this, so no client can take over another node's session. */
export const NODE_CLIENT_ID_PREFIX = 'node-';

export function nodeClientId(node: string): string {
  return `${NODE_CLIENT_ID_PREFIX}${node}`;
}

/** The node name in a `node:<name>` username, or undefined. */
export function nodeNameFromUsername(username: string): string | undefined {
  if (!username.startsWith(NODE_USERNAME_PREFIX)) return undefined;
  const name = username.slice(NODE_USERNAME_PREFIX.length);
  return isValidNodeName(name) ? name : undefined;
}

const JOIN_CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * A join client's id becomes a topic level (drover/v1/join/<clientId>/...), so it must be a plain
 * token; and it must not look like a node's id, or it could kick that node off the broker.
 */
export function isValidJoinClientId(clientId: string): boolean {
  return JOIN_CLIENT_ID.test(clientId) && !clientId.startsWith(NODE_CLIENT_ID_PREFIX);
}

export function describeIdentity(identity: ClientIdentity): string {
  return identity.kind === 'node' ? `node ${identity.node}` : `join client ${identity.clientId}`;
}
