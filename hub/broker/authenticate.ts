/**
 * Connect-time policy (aedes hooks `preConnect` and `authenticate`).
 *
 * - username `node:<name>` + the node's password: the client is node <name>. Its client id must be
 *   `node-<name>` (so no client can take over another node's session) and its last will, if any,
 *   must go to its own presence topic.
 * - username `join` + a join token as password: a device enrolling. Its client id must be a plain
 *   token not starting with `node-`, and it may not register a last will. A bare token (without the
 *   CA hash, `K10<hash>::`) is accepted only over plain MQTT from loopback: anywhere else the device
 *   should have checked the hub's CA against the hash first.
 * - anything else (anonymous, unknown username, wrong password): CONNACK "not authorized".
 */
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Logger } from '../../protocol/logger.js';
import { checkWill } from './acl.js';
import type { ClientRegistry } from './client-registry.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { ClientTransport } from './transport.js';
import { remoteAddressOf, transportOf } from './transport.js';
import { CONNACK, ConnectRefusedError } from './errors.js';
import {
  JOIN_USERNAME,
  describeIdentity,
  isValidJoinClientId,
  nodeClientId,
  nodeNameFromUsername,
  type ClientIdentity,
} from './identity.js';

/** The part of the hub's AuthService the broker needs. */
export interface BrokerAuth {
  /** `pinned`: the token carried the hub CA's hash (K10 form). */
  verifyJoinToken(token: string): Promise<{ ok: true; id: string; pinned?: boolean } | { ok: false; reason: string }>;
  /** The node name the credential belongs to, or undefined when it is not valid. */
  verifyNodeCredential(username: string, password: string): Promise<string | undefined>;
}

type PreConnectHandler = NonNullable<AedesOptions['preConnect']>;
type AuthenticateHandler = NonNullable<AedesOptions['authenticate']>;

/** Will topics seen in CONNECT packets, read back by authenticate (which does not get the packet). */
export type WillTopics = WeakMap<Client, string | undefined>;

export function createPreConnect(willTopics: WillTopics): PreConnectHandler {
  return (client, packet, callback) => {
    willTopics.set(client, packet.will?.topic);
    callback(null, true);
  };
}

export interface AuthenticateDeps {
  auth: BrokerAuth;
  /** Refuses addresses with too many failed logins (auth-throttle.ts); none = no limit. */
  throttle?: AuthThrottle;
  registry: ClientRegistry;
  willTopics: WillTopics;
  logger: Logger;
}

async function identify(
  auth: BrokerAuth,
  transport: ClientTransport,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
): Promise<ClientIdentity> {
  if (username === undefined || password === undefined) throw new ConnectRefusedError('anonymous clients are not allowed');
  const secret = password.toString('utf8');
  if (username === JOIN_USERNAME) {
    if (!isValidJoinClientId(clientId)) {
      throw new ConnectRefusedError(
        `join client id "${clientId}" is not allowed (letters, digits, "_", ".", "-"; not starting with "node-")`,
        CONNACK.identifierRejected,
      );
    }
    const verdict = await auth.verifyJoinToken(secret);
    if (!verdict.ok) throw new ConnectRefusedError(`join token refused: ${verdict.reason}`);
    if (verdict.pinned !== true && (transport.secure || !transport.loopback)) {
      throw new ConnectRefusedError('join token refused: a token without the hub CA hash (K10...::) is accepted only over plain MQTT on loopback');
    }
    return { kind: 'join', clientId, tokenId: verdict.id, token: secret };
  }
  const node = nodeNameFromUsername(username);
  if (node === undefined) throw new ConnectRefusedError(`unknown username "${username}"`);
  if (clientId !== nodeClientId(node)) {
    throw new ConnectRefusedError(`node ${node} must connect with client id "${nodeClientId(node)}"`, CONNACK.identifierRejected);
  }
  const owner = await auth.verifyNodeCredential(username, secret);
  if (owner !== node) throw new ConnectRefusedError(`wrong password for node ${node}`);
  return { kind: 'node', node };
}

export function createAuthenticate(deps: AuthenticateDeps): AuthenticateHandler {
  const { auth, registry, willTopics, logger, throttle } = deps;
  return (client, username, password, done) => {
    const address = remoteAddressOf(client);
    const refuse = (err: ConnectRefusedError, counted = true) => {
      if (counted && address) throttle?.recordFailure(address);
      logger.warn({ clientId: client.id, username, remote: address, reason: err.message }, 'MQTT connect refused');
      done(err as unknown as AuthenticateError, false);
    };
    const blockedMs = address ? (throttle?.blockedForMs(address) ?? 0) : 0;
    if (blockedMs > 0) {
      willTopics.delete(client);
      refuse(new ConnectRefusedError(`too many failed logins from ${address}; refused for another ${Math.ceil(blockedMs / 1000)} s`), false);
      return;
    }
    identify(auth, transportOf(client), client.id, username, password)
      .then((identity) => {
        const willRefusal = checkWill(identity, willTopics.get(client));
        willTopics.delete(client);
        if (willRefusal) return refuse(new ConnectRefusedError(willRefusal));
        registry.admit(client, identity);
        logger.info({ clientId: client.id, who: describeIdentity(identity) }, 'MQTT client authenticated');
        done(null, true);
      })
      .catch((err: unknown) => {
        willTopics.delete(client);
        if (err instanceof ConnectRefusedError) return refuse(err);
        logger.error({ err, clientId: client.id, username }, 'MQTT authentication failed: credential check threw');
        refuse(new ConnectRefusedError('credential check failed', CONNACK.serverUnavailable, { cause: err }), false);
      });
  };
}
