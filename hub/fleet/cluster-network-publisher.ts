/**
 * Publishes what every node's network set shares, once for the whole cluster: the overlay's peers (every
 * node with a pod CIDR and an address) and the Services with their endpoints. Each change goes out as a
 * delta on drover/v1/cluster/network (QoS 1, the last one retained) holding only what changed, from the
 * generation of the previous delta to the store revision now; the whole data goes to the retained
 * drover/v1/cluster/network/snapshot, at most every `snapshotIntervalMs` while things change and once
 * after the last change, for nodes that (re)sync. A node joining costs every other node one peer in one
 * delta, a changed EndpointSlice its one Service: O(nodes) bytes in all per change, not O(nodes²) as
 * when every node's set carried every peer and every Service.
 *
 * At start (and on republishAll, after a revision bump) the snapshot is published at the revision now,
 * then a delta from = to = that revision: what tells a (re)connecting node whether it is current.
 */
import type { Logger } from '../../protocol/logger.js';
import {
  encodeMessage,
  type ClusterNetworkDeltaMessage,
  type ClusterNetworkSnapshotMessage,
  type NetworkPeer,
  type NetworkService,
  type ServiceRef,
} from '../../protocol/messages.js';
import type { EndpointSlice } from '../../protocol/objects/endpoint-slice.js';
import type { Node } from '../../protocol/objects/node.js';
import type { Service } from '../../protocol/objects/service.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { topics } from '../../protocol/topics.js';
import { ANNOTATION_VTEP_MAC, LABEL_SERVICE_NAME } from '../../protocol/well-known.js';
import type { Broker } from '../broker/broker.js';
import type { CacheEvent, ObjectCache } from '../cache/object-cache.js';
import { networkService, nodeIPOf, overlayPeer } from './network-set.js';
import { createNodeFlushQueue } from './node-flush-queue.js';

export const DEFAULT_SNAPSHOT_INTERVAL_MS = 1000;

/** What the hub published on the network topics: counted by the fleet's metrics. */
export type NetworkTopicKind = 'node' | 'delta' | 'snapshot';
export type OnNetworkPublish = (kind: NetworkTopicKind, bytes: number) => void;

export interface ClusterNetworkPublisherOptions {
  cache: ObjectCache;
  broker: Broker;
  logger: Logger;
  clock: () => number;
  coalesceMs?: number;
  retryMs?: number;
  /** The least time between two snapshots while things change (default DEFAULT_SNAPSHOT_INTERVAL_MS; 0 = with every delta). */
  snapshotIntervalMs?: number;
  onPublish?: OnNetworkPublish;
}

export interface ClusterNetworkPublisher {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Publish the pending delta (and the snapshot, if one is due now or pending). */
  flush(): Promise<void>;
  /** The snapshot and a from = to delta again at the revision now (after a revision bump). */
  republishAll(): Promise<void>;
  /** The generation of the last delta published (tests). */
  generation(): number | undefined;
}

const serviceKey = (namespace: string, name: string): string => `${namespace}/${name}`;
/** What of a Node its peers see. */
const peerPart = (n: Node | undefined): string => (n ? JSON.stringify([n.spec?.podCIDR, nodeIPOf(n), n.metadata.annotations?.[ANNOTATION_VTEP_MAC]]) : '');
const CLUSTER = 'cluster';

export function createClusterNetworkPublisher(opts: ClusterNetworkPublisherOptions): ClusterNetworkPublisher {
  const { cache, broker, clock } = opts;
  const logger = opts.logger.child({ part: 'cluster-network-publisher' });
  const nodes = cache.kind<Node>('Node');
  const services = cache.kind<Service>('Service');
  const slices = cache.kind<EndpointSlice>('EndpointSlice');
  const snapshotIntervalMs = opts.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
  /** What the nodes hold after the last delta: peer by node, Service by namespace/name, each with its JSON. */
  const peers = new Map<string, { peer: NetworkPeer; json: string }>();
  const svcs = new Map<string, { service: NetworkService; json: string }>();
  const dirtyPeers = new Set<string>();
  const dirtyServices = new Set<string>();
  let generation: number | undefined;
  /** The generation of the last snapshot published, and when. */
  let snapshotGeneration: number | undefined;
  let lastSnapshotAt = -Infinity;
  let snapshotTimer: NodeJS.Timeout | undefined;
  /** Publishes one after the other: a delta never overtakes the one before it, nor a snapshot its delta. */
  let chain: Promise<void> = Promise.resolve();
  const subscriptions: Array<() => void> = [];
  let stopped = false;

  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn);
    chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };

  async function send(topic: string, kind: NetworkTopicKind, payload: string): Promise<void> {
    await broker.publish(topic, payload, { retain: true, qos: 1 });
    opts.onPublish?.(kind, Buffer.byteLength(payload));
  }

  function currentPeer(name: string): NetworkPeer | undefined {
    const node = nodes.get('', name);
    return node ? overlayPeer(node) : undefined;
  }

  function currentService(key: string): NetworkService | undefined {
    const [namespace, name] = key.split('/') as [string, string];
    const s = services.get(namespace, name);
    return s ? networkService(s, slices.list({ namespace })) : undefined;
  }

  /** Everything from the cache, as the nodes should hold it (start, republishAll). */
  function rebuild(): void {
    peers.clear();
    svcs.clear();
    dirtyPeers.clear();
    dirtyServices.clear();
    for (const n of nodes.list()) {
      const peer = overlayPeer(n);
      if (peer) peers.set(peer.node, { peer, json: JSON.stringify(peer) });
    }
    for (const s of services.list()) {
      const namespace = s.metadata.namespace ?? 'default';
      const service = networkService(s, slices.list({ namespace }));
      if (service) svcs.set(serviceKey(namespace, s.metadata.name), { service, json: JSON.stringify(service) });
    }
  }

  function snapshotMessage(): ClusterNetworkSnapshotMessage {
    return {
      v: 1,
      type: 'clusterNetworkSnapshot',
      sentAt: preciseTimestamp(clock()),
      generation: generation!,
      peers: [...peers.values()].map((p) => p.peer).sort((a, b) => (a.node < b.node ? -1 : 1)),
      services: [...svcs.values()].map((s) => s.service),
    };
  }

  async function publishSnapshot(): Promise<void> {
    if (generation === undefined || snapshotGeneration === generation) return;
    const message = snapshotMessage();
    await send(topics.clusterNetworkSnapshot(), 'snapshot', encodeMessage(message));
    snapshotGeneration = message.generation;
    lastSnapshotAt = clock();
    logger.debug({ generation: message.generation, peers: message.peers.length, services: message.services.length }, 'cluster network snapshot published');
  }

  /** The snapshot now if the last one is old enough, else once it is (one timer at a time). */
  function snapshotSoon(): Promise<void> {
    const wait = lastSnapshotAt + snapshotIntervalMs - clock();
    if (wait <= 0) return serialized(publishSnapshot);
    if (!snapshotTimer && !stopped) {
      snapshotTimer = setTimeout(() => {
        snapshotTimer = undefined;
        serialized(publishSnapshot).catch((err: unknown) => {
          logger.error({ err }, 'publishing the cluster network snapshot failed; tried again with the next change');
          snapshotSoon().catch(() => undefined);
        });
      }, wait);
      snapshotTimer.unref?.();
    }
    return Promise.resolve();
  }

  /** The delta of what changed since the last one; nothing if nothing did. */
  async function publishDelta(): Promise<void> {
    const to = cache.revision();
    if (generation !== undefined && to <= generation) {
      // a change the cache has not moved past yet (never seen in practice): wait for the next revision
      if (dirtyPeers.size || dirtyServices.size) queue.mark(CLUSTER);
      return;
    }
    const delta: ClusterNetworkDeltaMessage = {
      v: 1,
      type: 'clusterNetworkDelta',
      sentAt: preciseTimestamp(clock()),
      from: generation ?? to,
      to,
      peers: [],
      removedPeers: [],
      services: [],
      removedServices: [],
    };
    const applied: Array<() => void> = [];
    for (const name of dirtyPeers) {
      const peer = currentPeer(name);
      const json = peer ? JSON.stringify(peer) : undefined;
      if (json === peers.get(name)?.json) continue;
      if (peer) {
        delta.peers.push(peer);
        applied.push(() => peers.set(name, { peer, json: json! }));
      } else {
        delta.removedPeers.push(name);
        applied.push(() => peers.delete(name));
      }
    }
    for (const key of dirtyServices) {
      const service = currentService(key);
      const json = service ? JSON.stringify(service) : undefined;
      if (json === svcs.get(key)?.json) continue;
      if (service) {
        delta.services.push(service);
        applied.push(() => svcs.set(key, { service, json: json! }));
      } else {
        const [namespace, name] = key.split('/') as [string, string];
        delta.removedServices.push({ namespace, name } satisfies ServiceRef);
        applied.push(() => svcs.delete(key));
      }
    }
    const dirty = { peers: [...dirtyPeers], services: [...dirtyServices] };
    dirtyPeers.clear();
    dirtyServices.clear();
    if (applied.length === 0) return;
    try {
      await send(topics.clusterNetwork(), 'delta', encodeMessage(delta));
    } catch (err) {
      for (const p of dirty.peers) dirtyPeers.add(p);
      for (const s of dirty.services) dirtyServices.add(s);
      throw err;
    }
    for (const apply of applied) apply();
    generation = to;
    logger.debug(
      { from: delta.from, to, peers: delta.peers.length, removedPeers: delta.removedPeers.length, services: delta.services.length, removedServices: delta.removedServices.length },
      'cluster network delta published',
    );
  }

  /** The whole data at the revision now: the snapshot, then the from = to delta that says it is current. */
  async function publishEverything(): Promise<void> {
    rebuild();
    const now = cache.revision();
    generation = Math.max(now, generation ?? 0);
    snapshotGeneration = undefined;
    await publishSnapshot();
    const marker: ClusterNetworkDeltaMessage = {
      v: 1,
      type: 'clusterNetworkDelta',
      sentAt: preciseTimestamp(clock()),
      from: generation,
      to: generation,
      peers: [],
      removedPeers: [],
      services: [],
      removedServices: [],
    };
    await send(topics.clusterNetwork(), 'delta', encodeMessage(marker));
    logger.info({ generation, peers: peers.size, services: svcs.size }, 'cluster network data published');
  }

  const queue = createNodeFlushQueue({
    logger,
    what: 'the cluster network delta',
    coalesceMs: opts.coalesceMs ?? 100,
    retryMs: opts.retryMs,
    concurrency: 1,
    allNodes: () => [CLUSTER],
    publish: async () => {
      await serialized(publishDelta);
      await snapshotSoon();
    },
  });

  function onNode(e: CacheEvent<Node>): void {
    const name = e.object.metadata.name;
    if (e.type !== 'DELETED' && peerPart(e.old) === peerPart(e.object)) return;
    dirtyPeers.add(name);
    queue.mark(CLUSTER);
  }

  function onService(e: CacheEvent<Service>): void {
    dirtyServices.add(serviceKey(e.object.metadata.namespace ?? 'default', e.object.metadata.name));
    queue.mark(CLUSTER);
  }

  function onSlice(e: CacheEvent<EndpointSlice>): void {
    const namespace = e.object.metadata.namespace ?? 'default';
    for (const s of [e.old?.metadata.labels?.[LABEL_SERVICE_NAME], e.object.metadata.labels?.[LABEL_SERVICE_NAME]]) {
      if (s) dirtyServices.add(serviceKey(namespace, s));
    }
    queue.mark(CLUSTER);
  }

  return {
    async start() {
      subscriptions.push(nodes.subscribe(onNode), services.subscribe(onService), slices.subscribe(onSlice));
      await serialized(publishEverything);
    },
    async stop() {
      stopped = true;
      for (const u of subscriptions.splice(0)) u();
      if (snapshotTimer) clearTimeout(snapshotTimer);
      snapshotTimer = undefined;
      await queue.stop();
      await chain;
    },
    async flush() {
      await queue.flush();
      if (snapshotTimer) {
        clearTimeout(snapshotTimer);
        snapshotTimer = undefined;
        await serialized(publishSnapshot);
      }
      await chain;
    },
    republishAll: () => serialized(publishEverything),
    generation: () => generation,
  };
}
