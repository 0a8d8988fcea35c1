/**
 * createBroker: the hub's embedded MQTT broker (aedes 1.2) with Drover's policy as hooks:
 * authenticate.ts (who may connect), authorize-publish.ts and authorize-subscribe.ts (where, what may
 * be retained, publish quotas), outgoing-guard.ts (clients that do not read), offline-queue.ts (no
 * messages kept for clients that are away). The hub itself publishes and subscribes in-process,
 * without credentials.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { once } from 'node:events';
import { Aedes, type AedesPublishPacket, type Client } from 'aedes';
import type { Registry } from 'prom-client';
import type { Logger } from '../../protocol/logger.js';
import { MAX_PAYLOAD_BYTES } from '../../protocol/messages.js';
import { createAuthThrottle, type AuthThrottleOptions } from './auth-throttle.js';
import { createAuthenticate, createPreConnect, type BrokerAuth, type WillTopics } from './authenticate.js';
import { createAuthorizePublish } from './authorize-publish.js';
import { createAuthorizeSubscribe } from './authorize-subscribe.js';
import { createBrokerMetrics, registerRetainedGauges, type RetainedStats } from './broker-metrics.js';
import { createClientRegistry } from './client-registry.js';
import { dropOfflineQueue, type OutgoingQueuePersistence } from './offline-queue.js';
import { DEFAULT_QUEUED_PAYLOADS, deliverWithoutDrainWait, guardOutgoingBytes, type OutgoingLimits } from './outgoing-guard.js';
import { guardPacketSize } from './packet-size-guard.js';
import { createPublishQuota, type PublishQuotaOptions } from './publish-quota.js';
import { BrokerClosedError, BrokerListenError, BrokerPublishError, PublishDeniedError, QuotaExceededError, SlowClientError } from './errors.js';
import { nodeClientId, type ClientIdentity } from './identity.js';
import { topicMatchesFilter } from './topic-filter.js';

export interface BrokerOptions {
  auth: BrokerAuth;
  logger: Logger;
  /** Largest payload a client may publish (default protocol MAX_PAYLOAD_BYTES). */
  maxPayloadBytes?: number;
  /** Back-off for failed logins per address and username (auth-throttle.ts defaults); false = none. */
  authFailureLimit?: AuthThrottleOptions | false;
  /** Per-client publish quotas (publish-quota.ts defaults); false = none. */
  publishQuota?: PublishQuotaOptions | false;
  /** Bounds on what waits for a client that does not read (outgoing-guard.ts). */
  outgoing?: OutgoingLimits;
  /** Where the broker's counters go (the hub's /metrics); none = kept unregistered. */
  metrics?: Registry;
  clock?: () => number;
}

/**
 * Deliveries aedes runs at once (its `concurrency`; aedes' default is 100). aedes holds a delivery's
 * slot until the client's socket drains (up to 60 s): with 100, one frozen device sent 100 messages
 * held them all, and every other message, heartbeats included, waited behind it. The broker no longer
 * lets a delivery wait for a socket (outgoing-guard.ts, `deliverWithoutDrainWait`); the headroom stays.
 * Deliveries to one node come from the hub's publishes and from its own subscribes (each resends the
 * retained message), which are charged to its publish quota.
 */
export const DELIVERY_CONCURRENCY = 10_000;

/** A TLS listener's key and certificate chain (PEM), e.g. from hub/pki. */
export interface BrokerTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
}

/** Room above the payload limit for a packet's topic, properties and headers. */
export const PACKET_OVERHEAD_BYTES = 65_535 + 1_024;

/** A TLS handshake must finish within this time, or the connection is dropped. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface PublishOptions {
  retain?: boolean;
  qos?: 0 | 1 | 2;
}

/** What the broker knows about where a message came from. */
export interface PublishMeta {
  /** The MQTT client that published it; undefined for the hub's own in-process publishes. */
  clientId?: string;
  /** That client's authenticated identity. */
  identity?: ClientIdentity;
  /** True when the broker published this as the last will of a connection that has gone. */
  lastWill: boolean;
}

export type MessageHandler = (topic: string, payload: Buffer, meta: PublishMeta) => void | Promise<void>;

export interface Broker {
  /** Accept MQTT over TCP, or over TLS (mqtts) when `tls` is given. Port 0 picks a free port; the bound one is returned. */
  listen(host: string, port: number, options?: { tls?: BrokerTlsOptions }): Promise<{ port: number }>;
  /** Publish in-process (no credentials, no ACL). Resolves once the broker has taken the message. */
  publish(topic: string, payload: Buffer | string, options?: PublishOptions): Promise<void>;
  /**
   * Receive, in-process, every message published on topics matching the filter (MQTT wildcards allowed),
   * from clients or from the hub. Handler errors are logged. Returns the unsubscribe function.
   */
  subscribe(topicFilter: string, handler: MessageHandler): () => void;
  /** True when node <name> has a live, authenticated connection. */
  isNodeConnected(node: string): boolean;
  /** Close node <name>'s connection, if any (e.g. after its credential is revoked). */
  disconnectNode(node: string): Promise<void>;
  /**
   * Back-pressure: stop (true) or start again (false) reading what node <name> sends. Its packets
   * wait in TCP buffers, on the device, instead of in the hub's memory.
   */
  throttleNode(node: string, paused: boolean): void;
  /** Present this key and certificate on every TLS listener from the next handshake on (certificate renewal). */
  setTls(tls: BrokerTlsOptions): void;
  /** What the broker holds retained now (also served as gauges on the hub's /metrics). */
  retained(): Promise<RetainedStats>;
  close(): Promise<void>;
}

/** The part of aedes' persistence that lists retained messages. */
interface RetainedStore {
  createRetainedStream(pattern: string): AsyncIterable<{ payload: Buffer }>;
}

interface InProcessSubscription {
  filter: string;
  handler: MessageHandler;
}

export async function createBroker(opts: BrokerOptions): Promise<Broker> {
  const logger = opts.logger;
  const clock = opts.clock ?? Date.now;
  const registry = createClientRegistry();
  const metrics = createBrokerMetrics(opts.metrics);
  const willTopics: WillTopics = new WeakMap();
  const maxPayloadBytes = opts.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
  /** Messages dropped over a publish quota: never handed to in-process subscribers. */
  const dropped = new WeakSet<object>();
  const quota = opts.publishQuota === false ? undefined : createPublishQuota({ clock, ...opts.publishQuota });
  const aedes = await Aedes.createBroker({
    concurrency: DELIVERY_CONCURRENCY,
    preConnect: createPreConnect(willTopics),
    authenticate: createAuthenticate({
      auth: opts.auth,
      registry,
      willTopics,
      logger,
      metrics,
      ...(opts.authFailureLimit === false ? {} : { throttle: createAuthThrottle({ clock, ...opts.authFailureLimit }) }),
    }),
    authorizePublish: createAuthorizePublish({
      registry,
      maxPayloadBytes,
      logger,
      metrics,
      dropped,
      clock,
      ...(quota ? { quota } : {}),
    }),
    authorizeSubscribe: createAuthorizeSubscribe({ registry, logger, ...(quota ? { quota } : {}) }),
  });
  const maxQueuedBytes = opts.outgoing?.maxQueuedBytes ?? DEFAULT_QUEUED_PAYLOADS * maxPayloadBytes;
  const persistence = (aedes as unknown as { persistence: OutgoingQueuePersistence & RetainedStore }).persistence;
  dropOfflineQueue(persistence, (clientId) => registry.liveClient(clientId) !== undefined);
  async function retained(): Promise<RetainedStats> {
    const stats = { messages: 0, bytes: 0 };
    for await (const packet of persistence.createRetainedStream('#')) {
      stats.messages++;
      stats.bytes += packet.payload.length;
    }
    return stats;
  }
  registerRetainedGauges(opts.metrics, retained);
  const servers: Server[] = [];
  const tlsServers: TlsServer[] = [];
  // a publish may carry the largest payload plus its topic (at most 65535 bytes) and headers
  const maxPacketBytes = maxPayloadBytes + PACKET_OVERHEAD_BYTES;
  const subscriptions = new Set<InProcessSubscription>();
  let closed = false;

  aedes.on('clientDisconnect', (client: Client) => {
    registry.release(client);
    logger.info({ clientId: client.id }, 'MQTT client disconnected');
  });
  aedes.on('clientError', (client: Client, err: Error) => {
    // Refusals, quota and slow-client disconnects were logged by their hooks already; anything else is worth a warning.
    if (err instanceof PublishDeniedError || err instanceof QuotaExceededError || err instanceof SlowClientError) {
      logger.debug({ clientId: client.id, err }, 'MQTT client closed by the broker');
    } else logger.warn({ clientId: client.id, err }, 'MQTT client error');
  });
  aedes.on('connectionError', (client: Client, err: Error) => {
    logger.warn({ clientId: client.id, err }, 'MQTT connection error before CONNECT completed');
  });
  aedes.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (subscriptions.size === 0 || packet.topic.startsWith('$SYS/') || dropped.has(packet)) return;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const meta: PublishMeta = {
      clientId: client?.id,
      identity: client ? registry.identityOf(client) : undefined,
      lastWill: client !== null && client.closed,
    };
    for (const sub of subscriptions) {
      if (!topicMatchesFilter(sub.filter, packet.topic)) continue;
      deliver(sub, packet.topic, payload, meta);
    }
  });

  /** Every connection: sizes checked as packets arrive (packet-size-guard.ts) and as they leave (outgoing-guard.ts), then aedes. */
  function handle(socket: Socket): void {
    guardPacketSize(socket, maxPacketBytes, (reason) => logger.warn({ remote: socket.remoteAddress, reason }, 'MQTT connection closed: packet too large'));
    guardOutgoingBytes(socket, maxQueuedBytes, (queuedBytes, reason) => {
      const clientId = (socket as Socket & { client?: Client }).client?.id ?? '(connecting)';
      metrics.slowClientDisconnected();
      logger.warn({ clientId, remote: socket.remoteAddress, queuedBytes, reason }, 'MQTT client disconnected: it does not read what it is sent');
      return new SlowClientError(clientId, `it does not read what it is sent: ${reason}`);
    });
    deliverWithoutDrainWait(aedes.handle(socket));
  }

  function deliver(sub: InProcessSubscription, topic: string, payload: Buffer, meta: PublishMeta): void {
    const fail = (err: unknown) => logger.error({ err, topic, filter: sub.filter }, 'in-process MQTT handler failed');
    try {
      const result = sub.handler(topic, payload, meta);
      if (result instanceof Promise) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  return {
    async listen(host, port, options = {}) {
      if (closed) throw new BrokerClosedError();
      let server: Server;
      if (options.tls) {
        const tlsServer = createTlsServer(
          { key: options.tls.key, cert: options.tls.cert, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS, minVersion: 'TLSv1.2' },
          handle,
        );
        tlsServer.on('tlsClientError', (err, socket) => logger.debug({ err, remote: socket.remoteAddress }, 'MQTT TLS handshake failed'));
        tlsServers.push(tlsServer);
        server = tlsServer;
      } else {
        server = createServer(handle);
      }
      try {
        server.listen(port, host);
        await once(server, 'listening');
      } catch (err) {
        throw new BrokerListenError(host, port, { cause: err });
      }
      servers.push(server);
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      logger.info({ host, port: bound, tls: options.tls !== undefined }, 'MQTT broker listening');
      return { port: bound };
    },

    publish(topic, payload, options = {}) {
      if (closed) return Promise.reject(new BrokerClosedError());
      return new Promise<void>((resolve, reject) => {
        aedes.publish(
          {
            cmd: 'publish',
            topic,
            payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
            qos: options.qos ?? 0,
            retain: options.retain ?? false,
            dup: false,
          },
          (err?: Error) => (err ? reject(new BrokerPublishError(topic, { cause: err })) : resolve()),
        );
      });
    },

    subscribe(topicFilter, handler) {
      const sub: InProcessSubscription = { filter: topicFilter, handler };
      subscriptions.add(sub);
      return () => {
        subscriptions.delete(sub);
      };
    },

    isNodeConnected(node) {
      return registry.liveClient(nodeClientId(node)) !== undefined;
    },

    retained,

    setTls(tls) {
      for (const server of tlsServers) server.setSecureContext({ key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' });
    },

    throttleNode(node, paused) {
      const client = registry.liveClient(nodeClientId(node));
      if (!client) return;
      // aedes reads a socket on 'readable' in batches; its own pause() stops the next read (the
      // socket's pause() would not), so the client's packets wait in TCP buffers and on the device
      const flow = client as Client & { pause(): void; resume(): void };
      if (paused) flow.pause();
      else flow.resume();
    },

    async disconnectNode(node) {
      const client = registry.liveClient(nodeClientId(node));
      if (!client) return;
      logger.info({ node, clientId: client.id }, 'disconnecting node');
      await new Promise<void>((resolve) => client.close(() => resolve()));
    },

    async close() {
      if (closed) return;
      closed = true;
      subscriptions.clear();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve, reject) => {
              server.close((err) => (err && (err as NodeJS.ErrnoException).code !== 'ERR_SERVER_NOT_RUNNING' ? reject(err) : resolve()));
            }),
        ),
      );
      logger.info('MQTT broker closed');
    },
  };
}
