import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NetworkSetCorruptError } from '../../../agent/errors.js';
import { createNetworkSetStore, NETWORK_FILE } from '../../../agent/link/network-set-store.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { ClusterNetworkDeltaMessage, ClusterNetworkSnapshotMessage, NetworkPeer, NetworkService, NodeNetworkMessage } from '../../../protocol/messages.js';
import { topics } from '../../../protocol/topics.js';
import { networkSet, NODE, tempDir } from '../helpers.js';

const TOPIC = topics.nodeNetwork(NODE);

describe('network-set store', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());
  const store = () => createNetworkSetStore({ dataDir: dir, nodeName: NODE, logger: silentLogger() });

  it('stores an accepted set durably (0600, no temp files) before it is returned; a new store loads it', async () => {
    const s = store();
    const set = await s.receive(TOPIC, JSON.stringify(networkSet(4)));
    expect(set?.podCIDR).toBe('10.42.1.0/24');
    const path = join(dir, NETWORK_FILE);
    expect(JSON.parse(await readFile(path, 'utf8')).generation).toBe(4);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.includes('tmp'))).toEqual([]);
    expect((await store().load())?.generation).toBe(4);
  });

  it('generation only grows; the same set again is no change; a changed one at the same generation is', async () => {
    const s = store();
    expect(await s.receive(TOPIC, JSON.stringify(networkSet(5)))).toBeDefined();
    expect(await s.receive(TOPIC, JSON.stringify(networkSet(4, { podCIDR: '10.42.9.0/24' })))).toBeUndefined();
    expect(await s.receive(TOPIC, JSON.stringify({ ...networkSet(5), sentAt: new Date(1000).toISOString() }))).toBeUndefined();
    const peers = [{ node: 'b', podCIDR: '10.42.2.0/24', nodeIP: '192.0.2.2', vtepMAC: '0a:58:0a:2a:02:00' }];
    expect((await s.receive(TOPIC, JSON.stringify(networkSet(5, { peers }))))?.peers).toEqual(peers);
    expect(s.current()?.peers).toEqual(peers);
  });

  it("drops malformed sets and other nodes' sets", async () => {
    const s = store();
    expect(await s.receive(TOPIC, '{"v":1,"type":"networkSet"}')).toBeUndefined();
    expect(await s.receive(TOPIC, JSON.stringify(networkSet(1, { node: 'other' })))).toBeUndefined();
    expect(s.current()).toBeUndefined();
  });

  it('a corrupt file is a typed error for load() and moved aside by loadOrDiscard()', async () => {
    const path = join(dir, NETWORK_FILE);
    await writeFile(path, '{ torn');
    await expect(store().load()).rejects.toBeInstanceOf(NetworkSetCorruptError);
    expect(await store().loadOrDiscard()).toBeUndefined();
    expect(await readFile(`${path}.corrupt`, 'utf8')).toBe('{ torn');
    expect(await store().load()).toBeUndefined();
  });
});

const peer = (n: number): NetworkPeer => ({ node: `n${n}`, podCIDR: `10.42.${n}.0/24`, nodeIP: `192.0.2.${n}` });
const svc = (name: string, type: NetworkService['type'] = 'ClusterIP'): NetworkService => ({
  namespace: 'default',
  name,
  type,
  clusterIP: `10.43.0.${name.length}`,
  ports: [{ protocol: 'TCP', port: 80, targetPort: 8080, ...(type === 'ClusterIP' ? {} : { nodePort: 30080 }) }],
  sessionAffinity: 'None',
  endpoints: [],
});
const ownPart = (generation: number, services: NodeNetworkMessage['services'] = 'all'): string =>
  JSON.stringify({ v: 1, type: 'nodeNetwork', sentAt: new Date(0).toISOString(), node: NODE, generation, podCIDR: '10.42.1.0/24', clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16', clusterDomain: 'cluster.local', mtu: 1450, services } satisfies NodeNetworkMessage);
const snapshot = (generation: number, peers: NetworkPeer[], services: NetworkService[] = []): string =>
  JSON.stringify({ v: 1, type: 'clusterNetworkSnapshot', sentAt: new Date(0).toISOString(), generation, peers, services } satisfies ClusterNetworkSnapshotMessage);
const delta = (from: number, to: number, d: Partial<Pick<ClusterNetworkDeltaMessage, 'peers' | 'removedPeers' | 'services' | 'removedServices'>> = {}): string =>
  JSON.stringify({ v: 1, type: 'clusterNetworkDelta', sentAt: new Date(0).toISOString(), from, to, peers: [], removedPeers: [], services: [], removedServices: [], ...d } satisfies ClusterNetworkDeltaMessage);
const DELTA = topics.clusterNetwork();
const SNAPSHOT = topics.clusterNetworkSnapshot();

describe('network-set store: the own part and the shared data', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());
  const store = () => {
    const s = createNetworkSetStore({ dataDir: dir, nodeName: NODE, logger: silentLogger() });
    const resyncs: boolean[] = [];
    s.onResync((on) => resyncs.push(on));
    return { s, resyncs };
  };

  it('puts a snapshot and the deltas that follow it together with the own part: every peer but itself, the Services of its scope', async () => {
    const { s, resyncs } = store();
    await s.receive(TOPIC, ownPart(3, 'nodePorts'));
    // no shared data yet: the first delta (the hub's from = to marker) starts a resync
    expect(await s.receive(DELTA, delta(10, 10))).toBeUndefined();
    expect(resyncs).toEqual([true]);
    const first = await s.receive(SNAPSHOT, snapshot(10, [peer(1), { ...peer(2), node: NODE }, peer(3)], [svc('internal'), svc('public', 'NodePort')]));
    expect(resyncs).toEqual([true, false]);
    expect(first?.peers.map((p) => p.node)).toEqual(['n1', 'n3']);
    expect(first?.services.map((x) => x.name)).toEqual(['public']);
    expect(first).toMatchObject({ node: NODE, podCIDR: '10.42.1.0/24', generation: 10 });
    // a delta from the generation held: one peer more, one less, a Service changed
    const next = await s.receive(DELTA, delta(10, 12, { peers: [peer(4)], removedPeers: ['n1'], services: [{ ...svc('public', 'NodePort'), endpoints: [{ ip: '10.42.4.2', ready: true, terminating: false }] }] }));
    expect(next?.peers.map((p) => p.node)).toEqual(['n3', 'n4']);
    expect(next?.services[0]?.endpoints.map((e) => e.ip)).toEqual(['10.42.4.2']);
    // the own part moves to every Service (its first pod)
    expect((await s.receive(TOPIC, ownPart(13, 'all')))?.services.map((x) => x.name)).toEqual(['internal', 'public']);
  });

  it('ignores a delta it is past and an older snapshot or own part; the same delta twice changes nothing', async () => {
    const { s, resyncs } = store();
    await s.receive(TOPIC, ownPart(5));
    await s.receive(DELTA, delta(20, 20));
    await s.receive(SNAPSHOT, snapshot(20, [peer(1)]));
    expect(await s.receive(DELTA, delta(20, 21, { peers: [peer(2)] }))).toBeDefined();
    expect(await s.receive(DELTA, delta(20, 21, { peers: [peer(2)] }))).toBeUndefined();
    expect(await s.receive(DELTA, delta(15, 18, { removedPeers: ['n1'] }))).toBeUndefined();
    expect(await s.receive(TOPIC, ownPart(4))).toBeUndefined();
    expect(s.current()?.peers.map((p) => p.node)).toEqual(['n1', 'n2']);
    expect(resyncs).toEqual([true, false]);
    // a snapshot when not resyncing (one in flight after the unsubscribe) is ignored
    expect(await s.receive(SNAPSHOT, snapshot(30, []))).toBeUndefined();
    expect(s.current()?.peers).toHaveLength(2);
  });

  it('a gap in the deltas resyncs: deltas meanwhile are kept, a snapshot older than them waits for the next, then the kept ones that follow on are applied', async () => {
    const { s, resyncs } = store();
    await s.receive(TOPIC, ownPart(1));
    await s.receive(DELTA, delta(10, 10));
    await s.receive(SNAPSHOT, snapshot(10, [peer(1)]));
    // 11..14 missed (offline): the delta from 14 is a gap
    expect(await s.receive(DELTA, delta(14, 15, { peers: [peer(5)] }))).toBeUndefined();
    expect(resyncs).toEqual([true, false, true]);
    expect(await s.receive(DELTA, delta(15, 16, { peers: [peer(6)] }))).toBeUndefined();
    // an older snapshot than what is held: ignored
    expect(await s.receive(SNAPSHOT, snapshot(9, []))).toBeUndefined();
    // the retained snapshot at 12 does not reach the kept deltas (from 14): taken, still resyncing
    await s.receive(SNAPSHOT, snapshot(12, [peer(1), peer(2)]));
    expect(resyncs.at(-1)).toBe(true);
    // the next one, at 15, does: it and the kept delta 15 -> 16 make 16
    const synced = await s.receive(SNAPSHOT, snapshot(15, [peer(1), peer(2), peer(5)]));
    expect(resyncs.at(-1)).toBe(false);
    expect(synced?.peers.map((p) => p.node)).toEqual(['n1', 'n2', 'n5', 'n6']);
    expect(synced?.generation).toBe(16);
    expect(await s.receive(DELTA, delta(16, 17, { removedPeers: ['n2'] }))).toBeDefined();
    expect(s.current()?.peers.map((p) => p.node)).toEqual(['n1', 'n5', 'n6']);
  });

  it('restarts from disk at the shared generation it stored: current deltas follow on, missed ones resync', async () => {
    const first = store();
    await first.s.receive(TOPIC, ownPart(2, 'nodePorts'));
    await first.s.receive(DELTA, delta(40, 40));
    await first.s.receive(SNAPSHOT, snapshot(40, [peer(1), peer(2)], [svc('internal'), svc('public', 'NodePort')]));
    await first.s.receive(DELTA, delta(40, 41, { peers: [peer(3)] }));
    const onDisk = JSON.parse(await readFile(join(dir, NETWORK_FILE), 'utf8')) as { shared: unknown; generation: number; services: unknown[] };
    expect(onDisk.shared).toEqual({ generation: 41, services: 'nodePorts' });
    // every Service is stored (a scope change needs no resync), the node runs those of its scope
    expect(onDisk.services).toHaveLength(2);

    const again = store();
    const loaded = await again.s.load();
    expect(loaded?.peers.map((p) => p.node)).toEqual(['n1', 'n2', 'n3']);
    expect(loaded?.services.map((x) => x.name)).toEqual(['public']);
    // the hub's retained delta on reconnect is the one it holds: in sync, nothing to do
    expect(await again.s.receive(DELTA, delta(40, 41, { peers: [peer(3)] }))).toBeUndefined();
    expect(again.resyncs).toEqual([]);
    expect(await again.s.receive(DELTA, delta(41, 42, { peers: [peer(4)] }))).toBeDefined();

    const later = store();
    await later.s.load();
    // missed 42 -> 50 while down: a gap, so a resync from the snapshot
    await later.s.receive(DELTA, delta(50, 51));
    expect(later.resyncs).toEqual([true]);
    expect((await later.s.receive(SNAPSHOT, snapshot(51, [peer(9)])))?.peers.map((p) => p.node)).toEqual(['n9']);
    expect(later.resyncs).toEqual([true, false]);
  });

  it('a whole set from an older hub still stands alone, and seeds the shared data of unknown generation', async () => {
    const { s, resyncs } = store();
    const whole = await s.receive(TOPIC, JSON.stringify(networkSet(7, { peers: [peer(1)] })));
    expect(whole?.peers).toEqual([peer(1)]);
    expect(await store().s.load()).toMatchObject({ generation: 7, peers: [peer(1)] });
    // a newer hub's part: the seeded peers run until the first delta's resync brings the snapshot
    const again = store();
    await again.s.load();
    // (the same set as before: nothing new to apply)
    expect(await again.s.receive(TOPIC, ownPart(8))).toBeUndefined();
    expect(again.s.current()).toMatchObject({ generation: 8, peers: [peer(1)] });
    await again.s.receive(DELTA, delta(60, 60));
    expect(again.resyncs).toEqual([true]);
    expect(resyncs).toEqual([]);
  });
});
