/**
 * The node's long-lived MQTT connection to the hub: its own credentials, clientId node-<name>, a
 * persistent session (clean: false), keepalive 15 s and a last will that marks it offline (retained,
 * QoS 1). On every connect it publishes presence online (retained) and subscribes to its desired and
 * network (QoS 1), cmd (QoS 0: a command is interactive, a stale one replayed after a reconnect is
 * unwanted) and streams (QoS 1: the frames of exec/attach/logs -f/port-forward streams) topics, to the
 * cluster's shared network deltas (cluster/network, in a SUBSCRIBE of its own that an older hub may
 * refuse), and to the extra topics asked for with subscribe() until unsubscribe() (the parts of a split
 * desired set; the cluster network snapshot while the network store resyncs). Reconnects with exponential back-off and jitter: mqtt.js' own fixed-period
 * reconnect is switched off (reconnectPeriod 0) and client.reconnect() is called on our schedule.
 * An mqtts:// hub is verified against the CA pinned at join (credentials.caCert, dataDir/ca.crt);
 * plain mqtt:// is allowed only to loopback (hub-ca.ts mqttTlsOptions).
 */
import type mqtt from 'mqtt';
import type { Logger } from '../../protocol/logger.js';
import { encodeMessage, type AnyMessage, type PresenceMessage } from '../../protocol/messages.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { topics } from '../../protocol/topics.js';
import { NotConnectedError, PublishTimeoutError } from '../errors.js';
import { mqttTlsOptions } from './hub-ca.js';
import { connectMqtt } from './mqtt-transport.js';
import { isAuthRefusal, type Credentials } from './join.js';

export const KEEPALIVE_SECONDS = 15;
export const RECONNECT_MIN_MS = 1_000;
export const RECONNECT_MAX_MS = 30_000;
/** A publish not acknowledged within this time fails (it may still be delivered after a reconnect). */
export const PUBLISH_TIMEOUT_MS = 10_000;

export interface NodeConnectionOptions {
  credentials: Credentials;
  logger: Logger;
  clock?: () => number;
  agentVersion?: string;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Random source for jitter, [0, 1). */
  random?: () => number;
  publishTimeoutMs?: number;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain?: boolean;
}

export interface NodeConnection {
  readonly nodeName: string;
  start(): void;
  /** Publish presence offline (if connected) and close. Pods are not touched. */
  stop(): Promise<void>;
  isConnected(): boolean;
  publish(topic: string, message: AnyMessage, options: PublishOptions): Promise<void>;
  /**
   * Subscribe (QoS 1) to more topics, now if connected and after every reconnect (the parts of a split
   * desired set, topics.nodeDesiredPart). Topics already subscribed are not asked for again.
   */
  subscribe(topicNames: string[]): void;
  /** Undo subscribe() for these topics (now if connected; they are not asked for at the next connect). */
  unsubscribe(topicNames: string[]): void;
  /** Called after each (re)connect, once presence is published and subscriptions are made. */
  onConnect(handler: () => void): void;
  onMessage(handler: (topic: string, payload: Buffer) => void): void;
}

/** The delay before reconnect attempt `attempt` (0-based): doubling from min to max, then a random 50-100% of it. */
export function reconnectDelay(attempt: number, minMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random() / 2));
}

/** Settle with `promise`, or reject after `ms` (the promise itself is left to finish on its own). */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new PublishTimeoutError(what, ms)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** Throws InsecureHubError when the hub address is plain and remote, or TLS without a pinned CA. */
export function createNodeConnection(opts: NodeConnectionOptions): NodeConnection {
  const { credentials } = opts;
  const tlsOptions = mqttTlsOptions(credentials.hubUrl, credentials.caCert);
  const nodeName = credentials.nodeName;
  const clock = opts.clock ?? Date.now;
  const log = opts.logger.child({ component: 'connection', hub: credentials.hubUrl });
  const minMs = opts.reconnectMinMs ?? RECONNECT_MIN_MS;
  const maxMs = opts.reconnectMaxMs ?? RECONNECT_MAX_MS;
  const random = opts.random ?? Math.random;
  const publishTimeoutMs = opts.publishTimeoutMs ?? PUBLISH_TIMEOUT_MS;
  const presenceTopic = topics.nodePresence(nodeName);
  const connectHandlers: (() => void)[] = [];
  const messageHandlers: ((topic: string, payload: Buffer) => void)[] = [];
  /** Topics subscribed to beside the node's own desired, network and cmd (subscribe()). */
  const extraTopics = new Set<string>();

  let client: mqtt.MqttClient | undefined;
  let ready = false;
  let stopping = false;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let refused = false;
  /** The last connection error, so a long outage logs one warning, not one per attempt. */
  let lastError: string | undefined;

  const presence = (state: 'online' | 'offline'): PresenceMessage => {
    const m: PresenceMessage = { v: 1, type: 'presence', sentAt: preciseTimestamp(clock()), state };
    if (opts.agentVersion) m.agentVersion = opts.agentVersion;
    return m;
  };

  async function onConnected(c: mqtt.MqttClient, sessionPresent: boolean): Promise<void> {
    attempt = 0;
    refused = false;
    lastError = undefined;
    log.info({ sessionPresent }, 'connected to the hub');
    try {
      await c.publishAsync(presenceTopic, encodeMessage(presence('online')), { qos: 1, retain: true });
      await c.subscribeAsync({
        [topics.nodeDesired(nodeName)]: { qos: 1 },
        [topics.nodeNetwork(nodeName)]: { qos: 1 },
        [topics.nodeCmd(nodeName)]: { qos: 0 },
        [topics.nodeStreams(nodeName)]: { qos: 1 },
        ...Object.fromEntries([...extraTopics].map((t) => [t, { qos: 1 as const }])),
      });
    } catch (err) {
      log.error({ err }, 'could not announce presence or subscribe; reconnecting');
      c.end(true);
      return;
    }
    // on its own: a hub from before the shared network topics refuses it (its whole network sets come on
    // the node's own topic), and a refused filter fails the whole SUBSCRIBE
    c.subscribeAsync({ [topics.clusterNetwork()]: { qos: 1 } }).catch((err: unknown) =>
      log.info({ err }, "the hub does not share the cluster's network data (a hub before it): the node's network set comes whole on its own topic"),
    );
    ready = true;
    for (const h of connectHandlers) h();
  }

  function scheduleReconnect(): void {
    if (stopping || reconnectTimer || !client) return;
    const delay = refused ? maxMs : reconnectDelay(attempt, minMs, maxMs, random);
    attempt++;
    log.debug({ inMs: delay, attempt }, 'reconnecting to the hub');
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      if (stopping || !client) return;
      // keep the session's stores, so queued QoS 1 messages survive the reconnect
      client.reconnect({ incomingStore: client.options.incomingStore, outgoingStore: client.options.outgoingStore } as mqtt.IClientReconnectOptions);
    }, delay);
  }

  return {
    nodeName,
    start() {
      stopping = false;
      const c = connectMqtt(credentials.hubUrl, {
        ...tlsOptions,
        clientId: `node-${nodeName}`,
        username: credentials.username,
        password: credentials.password,
        clean: false,
        keepalive: KEEPALIVE_SECONDS,
        reconnectPeriod: 0,
        connectTimeout: 15_000,
        protocolVersion: 4,
        will: { topic: presenceTopic, payload: Buffer.from(encodeMessage(presence('offline'))), qos: 1, retain: true },
      });
      client = c;
      c.on('connect', (connack) => void onConnected(c, connack.sessionPresent));
      c.on('message', (topic, payload) => {
        for (const h of messageHandlers) {
          try {
            h(topic, payload);
          } catch (err) {
            log.error({ err, topic }, 'message handler failed');
          }
        }
      });
      c.on('error', (err) => {
        if (isAuthRefusal(err)) {
          refused = true;
          log.error(
            { err },
            `the hub refused this node's credentials (node "${nodeName}" deleted or its credentials revoked): ` +
              'delete credentials.json in the data dir and join again with --token',
          );
        } else if (err.message !== lastError) {
          log.warn({ err }, 'connection to the hub failed; retrying with back-off');
        } else {
          log.debug({ err }, 'connection to the hub failed again');
        }
        lastError = err.message;
      });
      c.on('close', () => {
        if (ready) log.warn('disconnected from the hub; pods keep running');
        ready = false;
        scheduleReconnect();
      });
    },
    async stop() {
      stopping = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = undefined;
      const c = client;
      if (!c) return;
      if (ready) {
        try {
          await withTimeout(
            c.publishAsync(presenceTopic, encodeMessage(presence('offline')), { qos: 1, retain: true }),
            publishTimeoutMs,
            'presence offline',
          );
        } catch (err) {
          log.warn({ err }, 'could not publish presence offline; the broker sends the last will instead');
        }
      }
      ready = false;
      try {
        await withTimeout(c.endAsync(!c.connected), publishTimeoutMs, 'disconnect');
      } catch (err) {
        log.warn({ err }, 'clean disconnect did not finish; closing the socket');
        await c.endAsync(true);
      }
      log.info('disconnected from the hub (agent stopping)');
    },
    isConnected: () => ready && !!client?.connected,
    async publish(topic, message, options) {
      if (!client) throw new NotConnectedError(`publish on ${topic}`);
      const sent = client.publishAsync(topic, encodeMessage(message), { qos: options.qos, retain: options.retain ?? false });
      await withTimeout(sent, publishTimeoutMs, `publish on ${topic}`);
    },
    subscribe(topicNames) {
      const fresh = topicNames.filter((t) => !extraTopics.has(t));
      if (fresh.length === 0) return;
      for (const t of fresh) extraTopics.add(t);
      const c = client;
      if (!ready || !c) return; // the next connect subscribes to them
      c.subscribeAsync(Object.fromEntries(fresh.map((t) => [t, { qos: 1 as const }]))).catch((err: unknown) => {
        // the reconnect that follows a failed subscribe makes it again
        log.warn({ err, topics: fresh }, 'could not subscribe; retried at the next connect');
      });
    },
    unsubscribe(topicNames) {
      const held = topicNames.filter((t) => extraTopics.delete(t));
      const c = client;
      if (held.length === 0 || !ready || !c) return;
      c.unsubscribeAsync(held).catch((err: unknown) => {
        // the session keeps the subscription: what arrives on it is ignored, and it is asked for again only if needed
        log.warn({ err, topics: held }, 'could not unsubscribe');
      });
    },
    onConnect(handler) {
      connectHandlers.push(handler);
    },
    onMessage(handler) {
      messageHandlers.push(handler);
    },
  };
}
