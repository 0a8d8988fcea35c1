/**
 * Joining: the first time a node meets its hub it connects with username `join` and a join token as
 * password, asks on drover/v1/join/<clientId>/request for credentials of its own and stores the answer
 * in dataDir/credentials.json (0600, written durably: protocol/durable-file.ts). From then on it connects with those (connection.ts).
 *
 * Over mqtts the token must carry the hub CA's hash (`K10<sha256>::drover-join...`): the agent first
 * takes the chain the hub presents and keeps the CA whose hash matches (hub-ca.ts), sending nothing to
 * a hub that does not match, then joins over TLS verified against that CA and stores it as
 * dataDir/ca.crt for every later connection. A bare token is accepted only for plain MQTT on loopback.
 */
import { parseJoinTokenString } from '../../protocol/join-token.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type mqtt from 'mqtt';
import { customAlphabet } from 'nanoid';
import { z } from 'zod';
import type { Logger } from '../../protocol/logger.js';
import {
  decodeMessage,
  encodeMessage,
  joinReplyMessageSchema,
  type JoinReplyMessage,
  type JoinRequestMessage,
} from '../../protocol/messages.js';
import { writeFileDurable } from '../../protocol/durable-file.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { topics } from '../../protocol/topics.js';
import { readStateFile, readStateJson } from '../state-file.js';
import { assertTransportAllowed } from './hub-address.js';
import { fetchHubCa, mqttTlsOptions } from './hub-ca.js';
import { connectMqttAsync } from './mqtt-transport.js';
import {
  CredentialsCorruptError,
  HubUnreachableError,
  InsecureHubError,
  InvalidOptionError,
  JoinRefusedError,
  JoinRejectedError,
  JoinTimeoutError,
  NoCredentialsError,
} from '../errors.js';

export const CREDENTIALS_FILE = 'credentials.json';
/** The hub CA pinned at join (PEM), beside the credentials. */
export const CA_FILE = 'ca.crt';
export const JOIN_USERNAME = 'join';
export const DEFAULT_JOIN_TIMEOUT_MS = 20_000;

const credentialsSchema = z.object({
  nodeName: z.string().min(1),
  username: z.string().min(1),
  password: z.string().min(1),
  hubUrl: z.string().min(1),
});
export type Credentials = z.infer<typeof credentialsSchema> & {
  /** The hub CA (PEM) pinned at join, kept in dataDir/ca.crt; needed for mqtts:// hubs. */
  caCert?: string;
};

const clientSuffix = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 16);

export function credentialsPath(dataDir: string): string {
  return join(dataDir, CREDENTIALS_FILE);
}

/** The stored credentials, or undefined if the node has not joined. Throws CredentialsCorruptError. */
export async function loadCredentials(dataDir: string): Promise<Credentials | undefined> {
  const path = credentialsPath(dataDir);
  const json = await readStateJson(path, (reason, cause) => new CredentialsCorruptError(path, reason, { cause }));
  if (json === undefined) return undefined;
  const parsed = credentialsSchema.safeParse(json);
  if (!parsed.success) throw new CredentialsCorruptError(path, parsed.error.issues[0]?.message ?? 'invalid', { cause: parsed.error });
  const caPath = join(dataDir, CA_FILE);
  const caCert = await readStateFile(caPath, (reason, cause) => new CredentialsCorruptError(caPath, reason, { cause }));
  return caCert === undefined ? parsed.data : { ...parsed.data, caCert };
}

/** Write ca.crt (when there is a CA) first, then credentials.json: credentials never point at a missing CA. */
export async function saveCredentials(dataDir: string, credentials: Credentials): Promise<void> {
  const { caCert, ...stored } = credentials;
  if (caCert) await writeFileDurable(join(dataDir, CA_FILE), caCert, { mode: 0o644 });
  await writeFileDurable(credentialsPath(dataDir), `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
}

/**
 * The hub CA to trust for `hubUrl`, checked against the token's hash: fetched (mqtts with a K10 token),
 * none (plain loopback MQTT). Throws InsecureHubError, HubCaMismatchError or HubUnreachableError.
 */
export async function pinHubCa(hubUrl: string, token: string, timeoutMs?: number): Promise<string | undefined> {
  const address = assertTransportAllowed(hubUrl);
  if (!address.tls) return undefined;
  const { caHash } = parseJoinTokenString(token);
  if (!caHash) {
    throw new InsecureHubError(
      `the join token has no CA hash, so the hub at ${hubUrl} cannot be verified: use the full token printed by \`drover token create\` (K10...::drover-join...)`,
    );
  }
  return fetchHubCa(hubUrl, caHash, timeoutMs);
}

export interface JoinOptions {
  hubUrl: string;
  token: string;
  nodeName: string;
  /** Labels to ask for at the first registration (--labels); the hub applies those the Node lacks. */
  labels?: Record<string, string>;
  logger: Logger;
  clock?: () => number;
  timeoutMs?: number;
}

/** CONNACK codes meaning "your username/password is not accepted" (MQTT 3.1.1 and 5). */
export function isAuthRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 4 || code === 5 || code === 134 || code === 135;
}

/** Run the join exchange once. Throws JoinRejectedError, JoinRefusedError, JoinTimeoutError or HubUnreachableError. */
export async function joinHub(opts: JoinOptions): Promise<Credentials> {
  const log = opts.logger.child({ component: 'join' });
  const clock = opts.clock ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_JOIN_TIMEOUT_MS;
  const clientId = `join-${clientSuffix()}`;
  // Before anything is sent: plain MQTT only on loopback; over TLS, the hub's CA must match the token.
  const caCert = await pinHubCa(opts.hubUrl, opts.token, timeoutMs);
  if (caCert) log.info({ hub: opts.hubUrl }, "the hub's CA matches the join token; joining over TLS verified against it");
  log.info({ hub: opts.hubUrl, node: opts.nodeName }, 'joining the hub with a join token');
  let client: mqtt.MqttClient;
  try {
    client = await connectMqttAsync(opts.hubUrl, {
      ...mqttTlsOptions(opts.hubUrl, caCert),
      clientId,
      username: JOIN_USERNAME,
      password: opts.token,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      protocolVersion: 4,
    });
  } catch (err) {
    if (isAuthRefusal(err)) throw new JoinRejectedError({ cause: err });
    throw new HubUnreachableError(opts.hubUrl, { cause: err });
  }
  try {
    const replyTopic = topics.joinReply(clientId);
    const replied = new Promise<JoinReplyMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new JoinTimeoutError(opts.hubUrl, timeoutMs)), timeoutMs);
      client.on('message', (topic, payload) => {
        if (topic !== replyTopic) return;
        try {
          resolve(decodeMessage(joinReplyMessageSchema, topic, payload));
          clearTimeout(timer);
        } catch (err) {
          log.warn({ err }, 'malformed join reply dropped; still waiting');
        }
      });
      client.on('close', () => {
        clearTimeout(timer);
        reject(new HubUnreachableError(opts.hubUrl, { cause: new Error('the connection closed before the hub replied') }));
      });
    });
    // settled into a value at once, so a failure before we wait for it is not an unhandled rejection
    const reply = replied.then(
      (message) => ({ message }),
      (error: unknown) => ({ error }),
    );
    await client.subscribeAsync(replyTopic, { qos: 1 });
    const request: JoinRequestMessage = { v: 1, type: 'joinRequest', sentAt: preciseTimestamp(clock()), nodeName: opts.nodeName, hostname: hostname() };
    if (opts.labels && Object.keys(opts.labels).length > 0) request.labels = opts.labels;
    await client.publishAsync(topics.joinRequest(clientId), encodeMessage(request), { qos: 1 });
    const outcome = await reply;
    if ('error' in outcome) throw outcome.error;
    const answer = outcome.message;
    if (!answer.ok) throw new JoinRefusedError(answer.error);
    log.info({ node: answer.nodeName }, 'joined: the hub issued this node its credentials');
    return { nodeName: answer.nodeName, username: answer.username, password: answer.password, hubUrl: opts.hubUrl, ...(caCert ? { caCert } : {}) };
  } finally {
    await client.endAsync(true).catch((err: unknown) => log.debug({ err }, 'closing the join connection failed'));
  }
}

export interface EnsureCredentialsOptions {
  dataDir: string;
  /** The hub to join (or to use instead of the stored one). */
  hubUrl?: string | undefined;
  token?: string | undefined;
  nodeName: string;
  /** Labels asked for when joining (not sent again once the node has credentials, as the kubelet's --node-labels). */
  labels?: Record<string, string> | undefined;
  logger: Logger;
  clock?: () => number;
  joinTimeoutMs?: number;
}

/**
 * The node's credentials: the stored ones, else joined with the token and stored. A --hub given
 * alongside stored credentials overrides the stored URL (the hub moved).
 */
export async function ensureCredentials(opts: EnsureCredentialsOptions): Promise<Credentials> {
  const log = opts.logger.child({ component: 'join' });
  const stored = await loadCredentials(opts.dataDir);
  if (stored) {
    if (stored.nodeName !== opts.nodeName) {
      log.warn({ stored: stored.nodeName, requested: opts.nodeName }, 'the data dir holds credentials of another node name; using them');
    }
    if (opts.hubUrl && opts.hubUrl !== stored.hubUrl) {
      // The hub moved: a TLS address needs a CA; a K10 token given again pins it (checked as at join).
      const caCert = opts.token && parseJoinTokenString(opts.token).caHash ? await pinHubCa(opts.hubUrl, opts.token, opts.joinTimeoutMs) : stored.caCert;
      mqttTlsOptions(opts.hubUrl, caCert);
      const moved: Credentials = { ...stored, hubUrl: opts.hubUrl, ...(caCert ? { caCert } : {}) };
      await saveCredentials(opts.dataDir, moved);
      return moved;
    }
    return stored;
  }
  if (!opts.token) throw new NoCredentialsError(credentialsPath(opts.dataDir));
  if (!opts.hubUrl) throw new InvalidOptionError('--hub mqtt://HOST:PORT is required to join');
  const joinOpts: JoinOptions = { hubUrl: opts.hubUrl, token: opts.token, nodeName: opts.nodeName, logger: opts.logger };
  if (opts.labels) joinOpts.labels = opts.labels;
  if (opts.clock) joinOpts.clock = opts.clock;
  if (opts.joinTimeoutMs !== undefined) joinOpts.timeoutMs = opts.joinTimeoutMs;
  const credentials = await joinHub(joinOpts);
  await saveCredentials(opts.dataDir, credentials);
  return credentials;
}
