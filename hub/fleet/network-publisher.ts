/**
 * Publishes each node's network set on drover/v1/nodes/NODE/network, retained, QoS 1: its pod CIDR,
 * the overlay's peers and the Services it needs with their endpoints (network-set.ts). Like the
 * desired sets: every node at start (retained messages live in aedes' memory), then the nodes a
 * change touches, coalesced; a set equal to the last one published for the node is not sent again.
 *
 * What touches whom: a Node's pod CIDR, address or VXLAN MAC changes every node's peers; a Service or
 * an EndpointSlice changes every node's Services; a pod bound to or leaving a node changes that node
 * only when it goes from no pods to some or back (which Services it gets).
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { ClusterNetwork } from '../../protocol/cluster-network.js';
import { encodeMessage, type NetworkPeer, type NetworkService } from '../../protocol/messages.js';
import type { Logger } from '../../protocol/logger.js';
import type { EndpointSlice } from '../../protocol/objects/endpoint-slice.js';
import type { Node } from '../../protocol/objects/node.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { Service } from '../../protocol/objects/service.js';
import { isValidNodeName, topics } from '../../protocol/topics.js';
import { ANNOTATION_VTEP_MAC } from '../../protocol/well-known.js';
import type { Broker } from '../broker/broker.js';
import type { CacheEvent, ObjectCache } from '../cache/object-cache.js';
import { buildNetworkSet, networkService, nodeIPOf, overlayPeers } from './network-set.js';
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
}

export interface NetworkPublisher {
  start(): Promise<void>;
  stop(): Promise<void>;
  flush(): Promise<void>;
  /** Publish every node's set again, even unchanged ones, with a new generation (after a revision bump). */
  republishAll(): Promise<void>;
}

/** What of a Node its peers see. */
const peerPart = (n: Node | undefined) => (n ? [n.spec?.podCIDR, nodeIPOf(n), n.metadata.annotations?.[ANNOTATION_VTEP_MAC]] : undefined);

export function createNetworkPublisher(opts: NetworkPublisherOptions): NetworkPublisher {
  const { cache, broker, clock } = opts;
  const logger = opts.logger.child({ part: 'network-publisher' });
  const nodes = cache.kind<Node>('Node');
  const pods = cache.kind<Pod>('Pod');
  const services = cache.kind<Service>('Service');
  const slices = cache.kind<EndpointSlice>('EndpointSlice');
  /** node -> what its last published set was made of (see `contentKey`), to skip identical sets. */
  const published = new Map<string, string>();
  const subscriptions: Array<() => void> = [];
  /** What every node's set shares, computed once per flush, with a digest of each part. */
  let shared: { peers: NetworkPeer[]; services: NetworkService[]; peersDigest: string; servicesDigest: string } | undefined;

  const digest = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('base64');

  /**
   * What a node's set is made of, small: its own fields and the digests of the shared parts (its peers
   * are every peer but itself, its Services follow from whether it runs pods). Comparing these instead
   * of whole sets keeps a flush O(nodes): every set lists every other node, so comparing whole sets
   * made a flush O(nodes²), half the hub's CPU while 3,000 nodes joined.
   */
  function contentKey(node: Node, runsPods: boolean): string {
    const { peersDigest, servicesDigest } = shared!;
    return JSON.stringify([node.metadata.name, node.spec?.podCIDR ?? '', opts.network, runsPods, peersDigest, servicesDigest]);
  }

  async function publishFor(name: string): Promise<void> {
    const node = nodes.get('', name);
    if (!node) {
      published.delete(name);
      return;
    }
    const runsPods = pods.onNode(name).length > 0;
    const key = contentKey(node, runsPods);
    if (published.get(name) === key) return;
    const { peers, services: svc } = shared!;
    const set = buildNetworkSet({ node, peers, services: svc, runsPods, network: opts.network, generation: cache.revision(), clock });
    await broker.publish(topics.nodeNetwork(name), encodeMessage(set), { retain: true, qos: 1 });
    published.set(name, key);
    logger.debug({ node: name, generation: set.generation, peers: set.peers.length, services: set.services.length }, 'network set published');
  }

  const queue = createNodeFlushQueue({
    logger,
    what: 'the network set',
    coalesceMs: opts.coalesceMs ?? 100,
    retryMs: opts.retryMs,
    concurrency: opts.concurrency,
    allNodes: () => nodes.list().map((n) => n.metadata.name),
    prepare: () => {
      const peers = overlayPeers(nodes.list());
      const services = allServices();
      shared = { peers, services, peersDigest: digest(peers), servicesDigest: digest(services) };
    },
    publish: publishFor,
  });
  const markAll = (): void => queue.markAll();
  const mark = (node: string | undefined): void => {
    if (!node || !isValidNodeName(node)) return;
    queue.mark(node);
  };

  function onNode(e: CacheEvent<Node>): void {
    if (e.type === 'DELETED' || !isDeepStrictEqual(peerPart(e.old), peerPart(e.object))) markAll();
    else mark(e.object.metadata.name);
  }

  function onPod(e: CacheEvent<Pod>): void {
    const before = e.old?.spec.nodeName;
    const after = e.type === 'DELETED' ? undefined : e.object.spec.nodeName;
    if (before === after) return;
    // a node that just got its first pod, or lost its last, gets another list of Services
    if (after && pods.onNode(after).length === 1) mark(after);
    if (before && pods.onNode(before).length === 0) mark(before);
  }

  function allServices(): NetworkService[] {
    const out: NetworkService[] = [];
    for (const s of services.list()) {
      const ns = networkService(s, slices.list({ namespace: s.metadata.namespace ?? 'default' }));
      if (ns) out.push(ns);
    }
    return out;
  }

  return {
    async start() {
      subscriptions.push(
        nodes.subscribe(onNode),
        pods.subscribe(onPod),
        services.subscribe(() => markAll()),
        slices.subscribe(() => markAll()),
      );
      queue.markAll();
      await queue.flush();
      logger.info({ nodes: nodes.size() }, 'network sets published for every node');
    },
    async stop() {
      for (const u of subscriptions.splice(0)) u();
      await queue.stop();
    },
    flush: () => queue.flush(),
    async republishAll() {
      published.clear();
      queue.markAll();
      await queue.flush();
    },
  };
}
