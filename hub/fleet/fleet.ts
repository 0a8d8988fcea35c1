/**
 * createFleet: the hub side of the device protocol. Subscribes, in-process on the embedded broker, to
 * what agents send (one handler per message kind), and publishes what they should run
 * (desired-publisher.ts). Messages of one node are handled in arrival order; bad payloads are logged
 * and dropped by the handlers, never thrown.
 */
import type { Logger } from '../../protocol/logger.js';
import { parseTopic, topics } from '../../protocol/topics.js';
import type { Broker, MessageHandler } from '../broker/broker.js';
import type { EventRecorder } from '../events/recorder.js';
import type { ObjectCache } from '../cache/object-cache.js';
import type { NodeLeases } from '../leases/node-leases.js';
import { createHeartbeatHandler } from './heartbeat-handler.js';
import type { Store } from '../store/store.js';
import type { FleetAuth, FleetContext } from './context.js';
import { createDesiredPublisher, type DesiredPublisher } from './desired-publisher.js';
import { createJoinHandler } from './join-handler.js';
import { createKeyedQueue } from './keyed-queue.js';
import { createNodeStatusHandler } from './node-status-handler.js';
import { createPodStatusHandler } from './pod-status-handler.js';
import { createPresenceHandler } from './presence-handler.js';

export interface FleetOptions {
  store: Store;
  broker: Broker;
  auth: FleetAuth;
  logger: Logger;
  clock?: () => number;
  /** Node leases, renewed by what nodes send and ended by their offline presence (hub/leases). */
  leases: NodeLeases;
  /** The shared informer cache, started by the caller. */
  cache: ObjectCache;
  /** How long to gather store changes before publishing desired sets (default 50). */
  desiredCoalesceMs?: number;
  /** Records the pod events agents send with their pod status (none recorded without it). */
  events?: EventRecorder;
}

export interface Fleet {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Publish pending desired sets now. */
  flushDesired(): Promise<void>;
  /** Resolves when every message received so far has been handled. */
  idle(): Promise<void>;
}

export async function createFleet(opts: FleetOptions): Promise<Fleet> {
  const logger = opts.logger;
  const clock = opts.clock ?? Date.now;
  const ctx: FleetContext = { store: opts.store, broker: opts.broker, auth: opts.auth, leases: opts.leases, cache: opts.cache, logger, clock };
  const queue = createKeyedQueue((key, err) => logger.error({ err, node: key }, 'fleet message handling failed'));
  const desired: DesiredPublisher = createDesiredPublisher({
    cache: opts.cache,
    broker: opts.broker,
    logger,
    clock,
    coalesceMs: opts.desiredCoalesceMs,
  });
  const unsubscribes: Array<() => void> = [];
  let started = false;

  /** Node messages go through the per-node queue, in arrival order. */
  const perNode =
    (handler: MessageHandler): MessageHandler =>
    (topic, payload, meta) => {
      const parsed = parseTopic(topic);
      const key = parsed?.kind === 'node' ? parsed.node : topic;
      return queue.run(key, async () => handler(topic, payload, meta));
    };
  /** Messages handled one at a time under a fixed key ('join/' cannot be a node name). */
  const serial =
    (key: string, handler: MessageHandler): MessageHandler =>
    (topic, payload, meta) =>
      queue.run(key, async () => handler(topic, payload, meta));

  return {
    async start() {
      if (started) return;
      started = true;
      const { broker } = opts;
      unsubscribes.push(
        broker.subscribe(topics.allJoinRequests(), serial('join/', createJoinHandler(ctx))),
        broker.subscribe(topics.allNodesUp('status'), perNode(createNodeStatusHandler(ctx))),
        broker.subscribe(topics.allNodesUp('heartbeat'), perNode(createHeartbeatHandler(ctx))),
        broker.subscribe(topics.allNodesUp('presence'), perNode(createPresenceHandler(ctx))),
        broker.subscribe(topics.allNodesUp('pods'), perNode(createPodStatusHandler(ctx, opts.events))),
      );
      await desired.start();
      logger.info('fleet started');
    },
    async stop() {
      if (!started) return;
      started = false;
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
      await queue.idle();
      await desired.stop();
      logger.info('fleet stopped');
    },
    flushDesired: () => desired.flush(),
    idle: () => queue.idle(),
  };
}
