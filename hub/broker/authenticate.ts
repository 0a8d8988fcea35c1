/**
 * Connect-time policy (aedes hooks `preConnect` and `authenticate`).
 *
 * - username `node:<name>` + the node's password: the client is node <name>. Its client id must be
 *   `node-<name>` (so no client can take over another node's session) and its last will, if any,
 *   must go to its own presence topic.
 * - username `join` + a join token as password: a device enrolling. Its client id must be a plain
 *   token not starting with `node-`, its session clean (the broker keeps nothing for it after it
 *   leaves), and it may not register a last will. A bare token (without the
 *   CA hash, `K10<hash>::`) is accepted only over plain MQTT from loopback: anywhere else the device
 *   should have checked the hub's CA against the hash first.
 * - anything else (anonymous, unknown username, wrong password): CONNACK "not authorized".
 *
 * Every login is checked, whatever came before it; failed ones are counted (auth-throttle.ts) and,
 * past the limit for their address and username, answered late: back-off for failures only, so a
 * valid credential from a busy NAT address is never kept out.
 */
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import type { Logger } from '../../protocol/logger.js';
import { checkWill, type WillRequest } from './acl.js';
import type { ClientRegistry } from './client-registry.js';
import type { AuthThrottle, FailureVerdict } from './auth-throttle.js';
import type { BrokerMetrics } from './broker-metrics.js';
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

/** Last wills seen in CONNECT packets, read back by authenticate (which does not get the packet). */
export type WillTopics = WeakMap<Client, WillRequest | undefined>;

export function createPreConnect(willTopics: WillTopics): PreConnectHandler {
  return (client, packet, callback) => {
    const will = packet.will;
    const bytes = will ? (typeof will.payload === 'string' ? Buffer.byteLength(will.payload) : will.payload.length) : 0;
    willTopics.set(client, will ? { topic: will.topic, retain: will.retain ?? false, qos: will.qos ?? 0, bytes } : undefined);
    callback(null, true);
  };
}

/** Refusals held back at once, at most; past that they are answered at once (each holds a socket). */
export const MAX_HELD_BACK_REFUSALS = 1000;
const NO_BACK_OFF: FailureVerdict = { delayMs: 0, startedBackOff: false };

export interface AuthenticateDeps {
  auth: BrokerAuth;
  /** Refuses addresses with too many failed logins (auth-throttle.ts); none = no limit. */
  throttle?: AuthThrottle;
  registry: ClientRegistry;
  willTopics: WillTopics;
  logger: Logger;
  metrics: BrokerMetrics;
  /** Default MAX_HELD_BACK_REFUSALS. */
  maxHeldBack?: number;
}

async function identify(
  auth: BrokerAuth,
  transport: ClientTransport,
  client: Pick<Client, 'id' | 'clean'>,
  username: string | undefined,
  password: Buffer | undefined,
): Promise<ClientIdentity> {
  const clientId = client.id;
  if (username === undefined || password === undefined) throw new ConnectRefusedError('anonymous clients are not allowed');
  const secret = password.toString('utf8');
  if (username === JOIN_USERNAME) {
    if (!isValidJoinClientId(clientId)) {
      throw new ConnectRefusedError(
        `join client id "${clientId}" is not allowed (letters, digits, "_", ".", "-"; not starting with "node-")`,
        CONNACK.identifierRejected,
      );
    }
    if (!client.clean) throw new ConnectRefusedError('join clients must connect with a clean session');
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
  const { auth, registry, willTopics, logger, throttle, metrics } = deps;
  const maxHeldBack = deps.maxHeldBack ?? MAX_HELD_BACK_REFUSALS;
  let heldBack = 0;
  return (client, username, password, done) => {
    const address = remoteAddressOf(client);
    const refuse = (err: ConnectRefusedError, counted = true) => {
      const verdict = counted && address && throttle ? throttle.recordFailure(address, username ?? '') : NO_BACK_OFF;
      const late = verdict.delayMs > 0 && heldBack < maxHeldBack;
      if (counted) metrics.loginFailure(late);
      const fields = { clientId: client.id, username, remote: address, reason: err.message };
      if (verdict.delayMs === 0) logger.warn(fields, 'MQTT connect refused');
      else if (verdict.startedBackOff) {
        logger.warn(
          { ...fields, delayMs: verdict.delayMs },
          'MQTT connect refused; too many failed logins of this username from this address: its refusals are answered late from now on (a valid credential is still accepted)',
        );
      } else logger.debug({ ...fields, delayMs: verdict.delayMs }, 'MQTT connect refused (answered late)');
      const answer = () => done(err as unknown as AuthenticateError, false);
      if (!late) return answer();
      heldBack++;
      setTimeout(() => {
        heldBack--;
        answer();
      }, verdict.delayMs).unref();
    };
    identify(auth, transportOf(client), client, username, password)
      .then((identity) => {
        const willRefusal = checkWill(identity, willTopics.get(client));
        willTopics.delete(client);
        if (willRefusal) return refuse(new ConnectRefusedError(willRefusal));
        if (address && username !== undefined) throttle?.recordSuccess(address, username);
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
