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
import type { Store } from '../store/store.js';
import type { FleetAuth, FleetContext } from './context.js';
import { createDesiredPublisher, type DesiredPublisher } from './desired-publisher.js';
import { createJoinHandler } from './join-handler.js';
import { createKeyedQueue } from './keyed-queue.js';
import { createNodeLiveness, type NodeLiveness } from './node-liveness.js';
import { createNodeStatusHandler } from './node-status-handler.js';
import { createPodStatusHandler } from './pod-status-handler.js';
import { createPresenceHandler } from './presence-handler.js';

export interface FleetOptions {
  store: Store;
  broker: Broker;
  auth: FleetAuth;
  logger: Logger;
  clock?: () => number;
  /** A Ready node whose status is older than this becomes Ready=Unknown (default 15000). */
  statusStaleAfterMs?: number;
  /** How often to look for stale nodes (default 1000). */
  livenessIntervalMs?: number;
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
  /** Run one stale-status check now; returns the nodes marked Unknown. */
  checkLiveness(): Promise<string[]>;
  /** Resolves when every message received so far has been handled. */
  idle(): Promise<void>;
}

export const DEFAULT_STATUS_STALE_AFTER_MS = 15_000;

export async function createFleet(opts: FleetOptions): Promise<Fleet> {
  const logger = opts.logger;
  const clock = opts.clock ?? Date.now;
  const ctx: FleetContext = { store: opts.store, broker: opts.broker, auth: opts.auth, logger, clock };
  const queue = createKeyedQueue((key, err) => logger.error({ err, node: key }, 'fleet message handling failed'));
  const desired: DesiredPublisher = createDesiredPublisher({
    store: opts.store,
    broker: opts.broker,
    logger,
    clock,
    coalesceMs: opts.desiredCoalesceMs,
  });
  const liveness: NodeLiveness = createNodeLiveness({
    store: opts.store,
    logger,
    clock,
    staleAfterMs: opts.statusStaleAfterMs ?? DEFAULT_STATUS_STALE_AFTER_MS,
    intervalMs: opts.livenessIntervalMs,
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
        broker.subscribe(topics.allNodesUp('presence'), perNode(createPresenceHandler(ctx))),
        broker.subscribe(topics.allNodesUp('pods'), perNode(createPodStatusHandler(ctx, opts.events))),
      );
      await desired.start();
      liveness.start();
      logger.info('fleet started');
    },
    async stop() {
      if (!started) return;
      started = false;
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
      await queue.idle();
      await liveness.stop();
      await desired.stop();
      logger.info('fleet stopped');
    },
    flushDesired: () => desired.flush(),
    checkLiveness: () => liveness.check(),
    idle: () => queue.idle(),
  };
}
