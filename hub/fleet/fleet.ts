/**
 * createFleet: the hub side of the device protocol. Subscribes, in-process on the embedded broker, to
 * what agents send (one handler per message kind), and publishes what they should run
 * (desired-publisher.ts). Messages of one node are handled in arrival order; bad payloads are logged
 * and dropped by the handlers, never thrown.
 */
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../protocol/logger.js';
import { parseTopic, topics } from '../../protocol/topics.js';
import type { Broker, MessageHandler } from '../broker/broker.js';
import type { EventRecorder } from '../events/recorder.js';
import type { ObjectCache } from '../cache/object-cache.js';
import type { NodeLeases } from '../leases/node-leases.js';
import { createHeartbeatHandler } from './heartbeat-handler.js';
import { createNetworkPublisher } from './network-publisher.js';
import { DEFAULT_CLUSTER_NETWORK, type ClusterNetwork } from '../../protocol/cluster-network.js';
import type { Store } from '../store/store.js';
import type { FleetAuth, FleetContext } from './context.js';
import { createDesiredPublisher, type DesiredPublisher } from './desired-publisher.js';
import { createJoinHandler } from './join-handler.js';
import { createKeyedQueue } from './keyed-queue.js';
import { createNodeStatusHandler, type NodeStatusMetrics } from './node-status-handler.js';
import { createPodStatusHandler } from './pod-status-handler.js';
import { createPresenceHandler } from './presence-handler.js';
import { createRevisionGuard } from './revision-guard.js';

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
  /** How far past a generation an agent reports ahead of the hub the revision moves (revision-guard.ts; default 1,000,000). */
  bumpMarginRevisions?: number;
  /** Messages one node may have waiting before its connection stops being read (default 64). */
  maxPendingPerNode?: number;
  /** The cluster's address plan, for the network sets (default K3s'). */
  network?: ClusterNetwork;
  /** Where the fleet's counters go (the hub's /metrics); none = kept unregistered. */
  metrics?: Registry;
}

/** drover_node_status_refused_total{field}: fields of node status reports node restriction refused. */
function nodeStatusMetrics(registry: Registry | undefined): NodeStatusMetrics {
  const name = 'drover_node_status_refused_total';
  const counter =
    (registry?.getSingleMetric(name) as Counter<'field'> | undefined) ??
    new Counter({ name, help: 'Fields of node status reports not written because a node may not set them (node restriction), by field', labelNames: ['field'] as const, registers: registry ? [registry] : [] });
  return { refused: (field) => counter.inc({ field }) };
}

export const DEFAULT_MAX_PENDING_PER_NODE = 64;

export interface Fleet {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Publish pending desired sets now. */
  flushDesired(): Promise<void>;
  /** Publish pending network sets now. */
  flushNetwork(): Promise<void>;
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
    ...(opts.events ? { events: opts.events } : {}),
  });
  const networkSets = createNetworkPublisher({
    cache: opts.cache,
    broker: opts.broker,
    network: opts.network ?? DEFAULT_CLUSTER_NETWORK,
    logger,
    clock,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const guard = createRevisionGuard({
    store: opts.store,
    cache: opts.cache,
    logger,
    ...(opts.events ? { events: opts.events } : {}),
    ...(opts.bumpMarginRevisions !== undefined ? { marginRevisions: opts.bumpMarginRevisions } : {}),
    republish: async () => {
      await desired.republishAll();
      await networkSets.republishAll();
    },
  });
  const unsubscribes: Array<() => void> = [];
  let started = false;

  /** Messages waiting per node; above the high-water mark the node's connection stops being read. */
  const pending = new Map<string, number>();
  const throttled = new Set<string>();
  const highWater = opts.maxPendingPerNode ?? DEFAULT_MAX_PENDING_PER_NODE;
  /** Node messages go through the per-node queue, in arrival order, with back-pressure. */
  const perNode =
    (handler: MessageHandler): MessageHandler =>
    (topic, payload, meta) => {
      const parsed = parseTopic(topic);
      const key = parsed?.kind === 'node' ? parsed.node : topic;
      const waiting = (pending.get(key) ?? 0) + 1;
      pending.set(key, waiting);
      if (waiting > highWater && parsed?.kind === 'node' && !throttled.has(key)) {
        throttled.add(key);
        opts.broker.throttleNode(key, true);
        logger.warn({ node: key, waiting }, 'node sends faster than the hub takes it in: reading its connection paused');
      }
      return queue.run(key, async () => {
        try {
          await handler(topic, payload, meta);
        } finally {
          const left = (pending.get(key) ?? 1) - 1;
          if (left <= 0) pending.delete(key);
          else pending.set(key, left);
          if (throttled.has(key) && left <= highWater / 2) {
            throttled.delete(key);
            opts.broker.throttleNode(key, false);
            logger.info({ node: key }, 'node caught up: reading its connection again');
          }
        }
      });
    };
  const joinHandler = createJoinHandler(ctx);
  /** Joins, tracked so that idle() and stop() wait for those in flight too. */
  const trackedJoin: MessageHandler = (topic, payload, meta) => queue.run(`join-message/${topic}`, async () => joinHandler(topic, payload, meta));

  return {
    async start() {
      if (started) return;
      started = true;
      const { broker } = opts;
      unsubscribes.push(
        // joins of different names run at once; the handler orders those of one name (and one token's uses)
        broker.subscribe(topics.allJoinRequests(), trackedJoin),
        broker.subscribe(topics.allNodesUp('status'), perNode(createNodeStatusHandler(ctx, nodeStatusMetrics(opts.metrics)))),
        // heartbeats only renew a lease in memory: handled at once, never queued behind a node's reports
        broker.subscribe(topics.allNodesUp('heartbeat'), createHeartbeatHandler(ctx)),
        broker.subscribe(topics.allNodesUp('presence'), perNode(createPresenceHandler(ctx))),
        broker.subscribe(topics.allNodesUp('pods'), perNode(createPodStatusHandler(ctx, opts.events, (node, generation) => guard.observe(node, generation)))),
      );
      await desired.start();
      await networkSets.start();
      logger.info('fleet started');
    },
    async stop() {
      if (!started) return;
      started = false;
      for (const unsubscribe of unsubscribes.splice(0)) unsubscribe();
      await queue.idle();
      await desired.stop();
      await networkSets.stop();
      logger.info('fleet stopped');
    },
    flushDesired: () => desired.flush(),
    flushNetwork: () => networkSets.flush(),
    idle: async () => {
      await queue.idle();
      await guard.idle();
    },
  };
}
