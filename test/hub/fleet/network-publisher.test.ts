import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import type { Broker } from '../../../hub/broker/broker.js';
import { createNetworkPublisher, type NetworkPublisher } from '../../../hub/fleet/network-publisher.js';
import type { NetworkTopicKind } from '../../../hub/fleet/cluster-network-publisher.js';
import { DEFAULT_CLUSTER_NETWORK } from '../../../protocol/cluster-network.js';
import {
  clusterNetworkDeltaMessageSchema,
  clusterNetworkSnapshotMessageSchema,
  decodeMessage,
  nodeNetworkMessageSchema,
  type ClusterNetworkDeltaMessage,
} from '../../../protocol/messages.js';
import type { Node } from '../../../protocol/objects/node.js';
import { silentLogger } from '../../../protocol/logger.js';
import { topics } from '../../../protocol/topics.js';
import { LABEL_SERVICE_NAME } from '../../../protocol/well-known.js';
import { tempStore } from '../controllers/temp-store.js';
import { node } from '../controllers/workload-support.js';

/** A broker that records every publish: topic and payload. */
function recordingBroker() {
  const published: Array<{ topic: string; payload: string }> = [];
  const broker = {
    async publish(topic: string, payload: Buffer | string) {
      published.push({ topic, payload: payload.toString() });
    },
  } as unknown as Broker;
  return { broker, published };
}

/** Node i of the cluster, with a pod CIDR and an address: a peer of the overlay. */
function peerNode(i: number): Node {
  const n = node(`n${String(i).padStart(5, '0')}`);
  return {
    ...n,
    metadata: { ...n.metadata, annotations: { 'drover.io/vtep-mac': '0a:58:0a:2a:00:01' } },
    spec: { ...n.spec, podCIDR: `10.${42 + Math.floor(i / 256)}.${i % 256}.0/24` },
    status: { ...n.status, addresses: [{ type: 'InternalIP', address: `192.168.${Math.floor(i / 256)}.${i % 256}` }] },
  };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function cluster(nodes: number, opts: { snapshotIntervalMs?: number; metrics?: Registry } = {}) {
  const t = await tempStore('drover-netpub-');
  cleanup.push(t.dispose);
  for (let i = 0; i < nodes; i++) await t.store.create(peerNode(i));
  await t.cache.waitFor(await t.store.revision());
  const b = recordingBroker();
  const bytes: Record<NetworkTopicKind, number> = { node: 0, delta: 0, snapshot: 0 };
  const publisher: NetworkPublisher = createNetworkPublisher({
    cache: t.cache,
    broker: b.broker,
    network: DEFAULT_CLUSTER_NETWORK,
    logger: silentLogger(),
    clock: Date.now,
    coalesceMs: 5,
    snapshotIntervalMs: opts.snapshotIntervalMs ?? 0,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    onPublish: (kind, n) => (bytes[kind] += n),
  });
  cleanup.push(() => publisher.stop());
  await publisher.start();
  const settle = async () => {
    await t.cache.waitFor(await t.store.revision());
    await publisher.flush();
  };
  const reset = () => {
    b.published.length = 0;
    bytes.node = bytes.delta = bytes.snapshot = 0;
  };
  return { ...t, ...b, publisher, bytes, settle, reset };
}

const deltas = (published: Array<{ topic: string; payload: string }>): ClusterNetworkDeltaMessage[] =>
  published.filter((p) => p.topic === topics.clusterNetwork()).map((p) => decodeMessage(clusterNetworkDeltaMessageSchema, p.topic, p.payload));

describe('network publisher', () => {
  it('a node joining costs each existing node O(1) bytes: per join, deltas and node parts stay the same size from 10 to 1,000 nodes, the one snapshot grows linearly', async () => {
    const perJoin: Record<number, { topics: number; delta: number; node: number; snapshot: number }> = {};
    for (const n of [10, 100, 1000]) {
      const c = await cluster(n);
      c.reset();
      await c.store.create(peerNode(n));
      await c.settle();
      perJoin[n] = { topics: c.published.length, delta: c.bytes.delta, node: c.bytes.node, snapshot: c.bytes.snapshot };
      // one node part (the newcomer's), one delta holding one peer, one snapshot: never a set per existing node
      expect(c.published.map((p) => p.topic).sort()).toEqual([topics.clusterNetwork(), topics.clusterNetworkSnapshot(), topics.nodeNetwork(peerNode(n).metadata.name)].sort());
      const [delta] = deltas(c.published);
      expect(delta!.peers.map((p) => p.node)).toEqual([peerNode(n).metadata.name]);
      expect(delta!.removedPeers).toEqual([]);
      const snapshot = decodeMessage(clusterNetworkSnapshotMessageSchema, 'snapshot', c.published.find((p) => p.topic === topics.clusterNetworkSnapshot())!.payload);
      expect(snapshot.peers).toHaveLength(n + 1);
      expect(snapshot.generation).toBe(delta!.to);
      await cleanup.pop()!();
      await cleanup.pop()!();
    }
    // what every existing node receives (the delta) and the newcomer's part: the same size at 10 and 1,000 nodes
    expect(perJoin[1000]!.delta).toBeLessThan(perJoin[10]!.delta * 1.2);
    expect(perJoin[1000]!.node).toBeLessThan(perJoin[10]!.node * 1.2);
    // the snapshot, published once for all, is linear: x10 nodes, about x10 bytes (quadratic would be x100)
    const growth = perJoin[1000]!.snapshot / perJoin[100]!.snapshot;
    expect(growth).toBeGreaterThan(8);
    expect(growth).toBeLessThan(12);
    const total = (k: number) => perJoin[k]!.delta + perJoin[k]!.node + perJoin[k]!.snapshot;
    expect(total(1000) / total(100)).toBeLessThan(12);
  }, 120_000);

  it('snapshots wait for their interval while deltas flow; one comes after the last change', async () => {
    const c = await cluster(5, { snapshotIntervalMs: 300 });
    c.reset();
    for (let i = 5; i < 10; i++) {
      await c.store.create(peerNode(i));
      await c.cache.waitFor(await c.store.revision());
      // past the coalescing (5 ms), well within the snapshot interval: a delta each time, no flush() (which sends a pending snapshot at once)
      for (let k = 0; k < 50 && deltas(c.published).length < i - 4; k++) await new Promise((r) => setTimeout(r, 5));
    }
    const chain = deltas(c.published);
    expect(chain).toHaveLength(5);
    // one chain: each delta's from is the previous one's to
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.from).toBe(chain[i - 1]!.to);
    await new Promise((r) => setTimeout(r, 400));
    const snapshots = c.published.filter((p) => p.topic === topics.clusterNetworkSnapshot()).map((p) => decodeMessage(clusterNetworkSnapshotMessageSchema, p.topic, p.payload));
    expect(snapshots.length).toBeLessThan(5);
    expect(snapshots.at(-1)!.generation).toBe(chain.at(-1)!.to);
    expect(snapshots.at(-1)!.peers).toHaveLength(10);
  });

  it('an EndpointSlice change sends that one Service, not all of them; a node leaving is a removed peer', async () => {
    const c = await cluster(3);
    for (const name of ['a', 'b', 'c']) {
      await c.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { clusterIP: `10.43.0.${name.charCodeAt(0)}`, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } });
    }
    await c.settle();
    c.reset();
    await c.store.create({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'b-x1', namespace: 'default', labels: { [LABEL_SERVICE_NAME]: 'b' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.42.0.7'], conditions: { ready: true } }],
      ports: [{ port: 8080, protocol: 'TCP' }],
    });
    await c.settle();
    const [delta] = deltas(c.published);
    expect(delta!.services.map((s) => s.name)).toEqual(['b']);
    expect(delta!.services[0]!.endpoints.map((e) => e.ip)).toEqual(['10.42.0.7']);
    expect(delta!.peers).toEqual([]);
    expect(c.published.filter((p) => p.topic.startsWith('drover/v1/nodes/'))).toEqual([]);
    c.reset();
    await c.store.delete({ kind: 'Node', namespace: '', name: peerNode(1).metadata.name });
    await c.store.delete({ kind: 'Service', namespace: 'default', name: 'c' });
    await c.settle();
    const [gone] = deltas(c.published);
    expect(gone!.removedPeers).toEqual([peerNode(1).metadata.name]);
    expect(gone!.removedServices).toEqual([{ namespace: 'default', name: 'c' }]);
  });

  it('each node part says which Services the node programs; republishAll sends the snapshot and a from = to delta at the revision now; the bytes are counted on /metrics', async () => {
    const registry = new Registry();
    const c = await cluster(2, { metrics: registry });
    const part = (name: string) => decodeMessage(nodeNetworkMessageSchema, 'part', c.published.filter((p) => p.topic === topics.nodeNetwork(name)).at(-1)!.payload);
    expect(part(peerNode(0).metadata.name)).toMatchObject({ node: peerNode(0).metadata.name, podCIDR: '10.42.0.0/24', services: 'nodePorts', mtu: 1450 });
    c.reset();
    await c.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'default' },
      spec: { nodeName: peerNode(0).metadata.name, containers: [{ name: 'c', image: 'drover.local/busybox:test' }] },
    });
    await c.settle();
    expect(c.published.map((p) => p.topic)).toEqual([topics.nodeNetwork(peerNode(0).metadata.name)]);
    expect(part(peerNode(0).metadata.name).services).toBe('all');
    await c.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bump', namespace: 'default' }, data: {} });
    await c.cache.waitFor(await c.store.revision());
    c.reset();
    await c.publisher.republishAll();
    const [marker] = deltas(c.published);
    expect(marker!.from).toBe(marker!.to);
    expect(marker!.to).toBe(c.cache.revision());
    const snap = decodeMessage(clusterNetworkSnapshotMessageSchema, 's', c.published.find((p) => p.topic === topics.clusterNetworkSnapshot())!.payload);
    expect(snap.generation).toBe(marker!.to);
    expect(c.published.filter((p) => p.topic.startsWith('drover/v1/nodes/'))).toHaveLength(2);
    const text = await registry.metrics();
    for (const kind of ['node', 'delta', 'snapshot']) expect(text).toMatch(new RegExp(`drover_network_publish_bytes_total\\{topic="${kind}"\\} [1-9]`));
  });
});
