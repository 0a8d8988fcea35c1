/**
 * Publishes the network data the nodes program into their packet paths, in two parts:
 *
 * - each node's own part on drover/v1/nodes/NODE/network, retained, QoS 1 (nodeNetwork: its pod CIDR,
 *   the cluster's CIDRs, domain and MTU, and which Services it programs). Like the desired sets: every
 *   node at start, then the nodes a change touches, coalesced; a part equal to the last one published
 *   for the node is not sent again. What touches a node: its own Node changing, and a pod bound to or
 *   leaving it when it goes from no pods to some or back (which Services it programs);
 * - what every node shares (the overlay's peers and the Services with their endpoints), once for the
 *   whole cluster, as deltas and snapshots (cluster-network-publisher.ts).
 *
 * So a node joining costs each other node one peer in one delta, not a new set listing every node.
 */
import type { Registry } from 'prom-client';
import { Counter } from 'prom-client';
import type { ClusterNetwork } from '../../protocol/cluster-network.js';
import { encodeMessage } from '../../protocol/messages.js';
import type { Logger } from '../../protocol/logger.js';
import type { Node } from '../../protocol/objects/node.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { isValidNodeName, topics } from '../../protocol/topics.js';
import type { Broker } from '../broker/broker.js';
import type { CacheEvent, ObjectCache } from '../cache/object-cache.js';
import { createClusterNetworkPublisher, type OnNetworkPublish } from './cluster-network-publisher.js';
import { buildNodeNetwork } from './network-set.js';
import { createNodeFlushQueue } from './node-flush-queue.js';

export interface NetworkPublisherOptions {
  cache: ObjectCache;
  broker: Broker;
  network: ClusterNetwork;
  logger: Logger;
  clock: () => number;
  coalesceMs?: number;
  retryMs?: number;
  /** Publishes in flight at once during a flush (default 64, as the desired sets). */
  concurrency?: number;
  /** The least time between two cluster snapshots while things change (cluster-network-publisher.ts). */
  snapshotIntervalMs?: number;
  /** Where drover_network_publish_bytes_total and drover_network_publishes_total go (the hub's /metrics). */
  metrics?: Registry;
  /** Called with every publish (tests count bytes). */
  onPublish?: OnNetworkPublish;
}

export interface NetworkPublisher {
  start(): Promise<void>;
  stop(): Promise<void>;
  flush(): Promise<void>;
  /** Publish every node's part and the cluster's data again, even unchanged, with a new generation (after a revision bump). */
  republishAll(): Promise<void>;
}

/** The counters of what the network publishers send, by topic kind (node, delta, snapshot). */
function networkPublishMetrics(registry: Registry | undefined): OnNetworkPublish {
  const counter = (name: string, help: string): Counter<'topic'> =>
    (registry?.getSingleMetric(name) as Counter<'topic'> | undefined) ??
    new Counter({ name, help, labelNames: ['topic'] as const, registers: registry ? [registry] : [] });
  const bytes = counter('drover_network_publish_bytes_total', 'Bytes of payload the hub published on the network topics, by topic (node: nodes/N/network, delta: cluster/network, snapshot: cluster/network/snapshot)');
  const count = counter('drover_network_publishes_total', 'Messages the hub published on the network topics, by topic (node, delta, snapshot)');
  return (kind, n) => {
    bytes.inc({ topic: kind }, n);
    count.inc({ topic: kind });
  };
}

export function createNetworkPublisher(opts: NetworkPublisherOptions): NetworkPublisher {
  const { cache, broker, clock } = opts;
  const logger = opts.logger.child({ part: 'network-publisher' });
  const nodes = cache.kind<Node>('Node');
  const pods = cache.kind<Pod>('Pod');
  const count = networkPublishMetrics(opts.metrics);
  const onPublish: OnNetworkPublish = (kind, bytes) => {
    count(kind, bytes);
    opts.onPublish?.(kind, bytes);
  };
  const shared = createClusterNetworkPublisher({
    cache,
    broker,
    logger: opts.logger,
    clock,
    onPublish,
    ...(opts.coalesceMs === undefined ? {} : { coalesceMs: opts.coalesceMs }),
    ...(opts.retryMs === undefined ? {} : { retryMs: opts.retryMs }),
    ...(opts.snapshotIntervalMs === undefined ? {} : { snapshotIntervalMs: opts.snapshotIntervalMs }),
  });
  /** node -> what its last published part was made of, to skip identical ones. */
  const published = new Map<string, string>();
  const subscriptions: Array<() => void> = [];

  async function publishFor(name: string): Promise<void> {
    const node = nodes.get('', name);
    if (!node) {
      published.delete(name);
      return;
    }
    const runsPods = pods.onNode(name).length > 0;
    const key = JSON.stringify([node.spec?.podCIDR ?? '', runsPods]);
    if (published.get(name) === key) return;
    const part = buildNodeNetwork({ node, runsPods, network: opts.network, generation: cache.revision(), clock });
    const payload = encodeMessage(part);
    await broker.publish(topics.nodeNetwork(name), payload, { retain: true, qos: 1 });
    onPublish('node', Buffer.byteLength(payload));
    published.set(name, key);
    logger.debug({ node: name, generation: part.generation, services: part.services }, 'node network part published');
  }

  const queue = createNodeFlushQueue({
    logger,
    what: 'the node network part',
    coalesceMs: opts.coalesceMs ?? 100,
    retryMs: opts.retryMs,
    concurrency: opts.concurrency,
    allNodes: () => nodes.list().map((n) => n.metadata.name),
    publish: publishFor,
  });
  const mark = (node: string | undefined): void => {
    if (!node || !isValidNodeName(node)) return;
    queue.mark(node);
  };

  function onNode(e: CacheEvent<Node>): void {
    if (e.type === 'DELETED') published.delete(e.object.metadata.name);
    else if (e.old?.spec?.podCIDR !== e.object.spec?.podCIDR || !published.has(e.object.metadata.name)) mark(e.object.metadata.name);
  }

  function onPod(e: CacheEvent<Pod>): void {
    const before = e.old?.spec.nodeName;
    const after = e.type === 'DELETED' ? undefined : e.object.spec.nodeName;
    if (before === after) return;
    // a node that just got its first pod, or lost its last, programs other Services
    if (after && pods.onNode(after).length === 1) mark(after);
    if (before && pods.onNode(before).length === 0) mark(before);
  }

  return {
    async start() {
      subscriptions.push(nodes.subscribe(onNode), pods.subscribe(onPod));
      // the shared data first: a node that gets its part resyncs from a snapshot that is there
      await shared.start();
      queue.markAll();
      await queue.flush();
      logger.info({ nodes: nodes.size() }, 'network parts published for every node');
    },
    async stop() {
      for (const u of subscriptions.splice(0)) u();
      await queue.stop();
      await shared.stop();
    },
    async flush() {
      await Promise.all([queue.flush(), shared.flush()]);
    },
    async republishAll() {
      published.clear();
      await shared.republishAll();
      queue.markAll();
      await queue.flush();
    },
  };
}
