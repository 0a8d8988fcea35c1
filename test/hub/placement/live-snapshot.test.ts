import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLiveSnapshot, type LiveSnapshot } from '../../../hub/placement/live-snapshot.js';
import { createNodeSampler, feasibleNodesToFind, schedulePod } from '../../../hub/placement/schedule.js';
import { snapshotFromObjects, withoutPods } from '../../../hub/placement/snapshot.js';
import type { ObjectCache } from '../../../hub/cache/object-cache.js';
import type { Store } from '../../../hub/store/store.js';
import type { Pod } from '../../../protocol/index.js';
import { tempStore } from '../controllers/temp-store.js';
import { makeNode, makePod } from './fixtures.js';

let store: Store;
let cache: ObjectCache;
let dispose: () => Promise<void>;
let live: LiveSnapshot | undefined;

beforeEach(async () => {
  ({ store, cache, dispose } = await tempStore('drover-live-snapshot-'));
});
afterEach(async () => {
  live?.close();
  await dispose();
});

const settled = async () => cache.waitFor(await store.revision());
/** What the test fixtures make, without the fields the store sets. */
const stored = (p: Pod): Pod => ({ ...p, metadata: { ...p.metadata, uid: undefined as unknown as string } });

describe('live snapshot', () => {
  it('follows the cache: nodes, and the requests of the pods bound to each', async () => {
    await store.create(makeNode('n1'));
    await store.create(stored(makePod('a', { nodeName: 'n1', cpu: '500m', memory: '1Gi' })));
    await settled();
    live = createLiveSnapshot(cache);
    expect(live.nodes.map((n) => n.metadata.name)).toEqual(['n1']);
    expect(live.requestedOnNode!('n1')).toMatchObject({ cpuMillis: 500, pods: 1 });

    await store.create(makeNode('n2'));
    const b = await store.create(stored(makePod('b', { cpu: '250m' })));
    await settled();
    expect(live.nodes.map((n) => n.metadata.name).sort()).toEqual(['n1', 'n2']);
    expect(live.requestedOnNode!('n2').pods).toBe(0);

    // a decision counts at once, before its bind is written; the bind replaces the assumption
    live.assume(b, 'n2');
    expect(live.requestedOnNode!('n2')).toMatchObject({ cpuMillis: 250, pods: 1 });
    await store.update({ ...b, spec: { ...b.spec, nodeName: 'n2' } });
    await settled();
    expect(live.requestedOnNode!('n2')).toMatchObject({ cpuMillis: 250, pods: 1 });
    expect(live.podsOnNode('n2').map((p) => p.metadata.name)).toEqual(['b']);

    // a failed bind is forgotten
    const c = await store.create(stored(makePod('c', { cpu: '100m' })));
    await settled();
    live.assume(c, 'n1');
    expect(live.requestedOnNode!('n1').cpuMillis).toBe(600);
    live.forget(c);
    expect(live.requestedOnNode!('n1').cpuMillis).toBe(500);

    await store.delete({ kind: 'Node', namespace: '', name: 'n1' });
    await store.delete({ kind: 'Pod', namespace: 'default', name: 'a' });
    await settled();
    expect(live.nodes.map((n) => n.metadata.name)).toEqual(['n2']);
  });

  it('keeps its totals in place through assume, the bind and status updates, and by position (viewAt)', async () => {
    await store.create(makeNode('n1'));
    await store.create(makeNode('n2'));
    const a = await store.create(stored(makePod('a', { cpu: '300m', owner: 'web', hostPort: 8080 })));
    await settled();
    live = createLiveSnapshot(cache);
    const at = (name: string) => live!.nodes.findIndex((n) => n.metadata.name === name);
    const view = live.viewAt!(at('n2'));
    expect(view).toBe(live.viewOf!(live.nodes[at('n2')]!));
    expect(view.requested.pods).toBe(0);

    live.assume(a, 'n2');
    const assumed = live.viewAt!(at('n2'));
    expect(assumed.requested).toMatchObject({ cpuMillis: 300, pods: 1 });
    expect(assumed.owners.get('uid-web')).toBe(1);
    expect([...assumed.requested.hostPorts]).toEqual(['TCP/8080']);

    // the bind where it was assumed: counted once, not twice
    const bound = await store.update<Pod>({ ...a, spec: { ...a.spec, nodeName: 'n2' } });
    await settled();
    expect(live.viewAt!(at('n2')).requested).toMatchObject({ cpuMillis: 300, pods: 1 });
    expect(live.podsOnNode('n2')).toEqual([cache.kind<Pod>('Pod').get('default', 'a')]);
    // a status update leaves the totals; the pod finishing frees the node
    await store.update<Pod>({ ...bound, status: { phase: 'Running' } });
    await settled();
    expect(live.viewAt!(at('n2')).requested).toMatchObject({ cpuMillis: 300, pods: 1 });
    expect(live.podsOnNode('n2')[0]!.status?.phase).toBe('Running');
    const running = cache.kind<Pod>('Pod').get('default', 'a')!;
    await store.update<Pod>({ ...running, status: { phase: 'Succeeded' } });
    await settled();
    expect(live.viewAt!(at('n2')).requested).toMatchObject({ cpuMillis: 0, pods: 0 });
    expect(live.viewAt!(at('n2')).owners.get('uid-web') ?? 0).toBe(0);

    // positions follow a node's removal (the last node moves into its place)
    await store.delete({ kind: 'Node', namespace: '', name: 'n1' });
    await settled();
    expect(live.nodes.map((n) => n.metadata.name)).toEqual(['n2']);
    expect(live.viewAt!(0).node.metadata.name).toBe('n2');
    expect(live.viewAt!(0).requested.pods).toBe(0);
  });

  it('withoutPods: a daemon pod placed against the cluster minus its own pods', () => {
    const snap = snapshotFromObjects([makeNode('n1', { cpu: '1' })], [makePod('own', { nodeName: 'n1', cpu: '900m' }), makePod('other', { nodeName: 'n1', cpu: '50m' })]);
    const view = withoutPods(snap, [makePod('own', { nodeName: 'n1', cpu: '900m' })]);
    expect(view.requestedOnNode!('n1').cpuMillis).toBe(50);
    expect(view.podsOnNode('n1').map((p) => p.metadata.name)).toEqual(['other']);
  });
});

describe('node sampling (percentageOfNodesToScore)', () => {
  it('filters every node below 100, and an adaptive share above, as kube-scheduler does', () => {
    expect(feasibleNodesToFind(50)).toBe(50);
    expect(feasibleNodesToFind(1000)).toBe(420); // 50% - 1000/125 = 42%
    expect(feasibleNodesToFind(5000)).toBe(500); // 10%
    expect(feasibleNodesToFind(10_000)).toBe(500); // 5%, the floor
    expect(feasibleNodesToFind(300, 10)).toBe(100); // never fewer than 100
    expect(feasibleNodesToFind(5000, 100)).toBe(5000);
  });

  it('a sampled search still honours every filter: only the few feasible nodes are chosen, wherever they are', () => {
    // 2000 nodes (200 looked for per decision), of which 7 scattered ones carry the label the pods select
    const feasible = new Set([3, 411, 977, 1250, 1251, 1800, 1999].map((i) => `n${String(i).padStart(4, '0')}`));
    const nodes = Array.from({ length: 2000 }, (_, i) => {
      const name = `n${String(i).padStart(4, '0')}`;
      return makeNode(name, feasible.has(name) ? { labels: { tier: 'gpu' }, pods: '3' } : {});
    });
    const snap = snapshotFromObjects(nodes, []);
    const sampler = createNodeSampler();
    const placed = new Map<string, number>();
    for (let i = 0; i < 21; i++) {
      const pod = makePod(`g${i}`, { nodeSelector: { tier: 'gpu' } });
      const result = schedulePod(pod, snap, undefined, sampler);
      expect(result.node).toBeDefined();
      expect(feasible.has(result.node!)).toBe(true);
      snap.assume(pod, result.node!);
      placed.set(result.node!, (placed.get(result.node!) ?? 0) + 1);
    }
    // 7 nodes x 3 pods: all used, none over its pod limit
    expect([...placed.values()]).toEqual(Array(7).fill(3));
    const extra = schedulePod(makePod('g21', { nodeSelector: { tier: 'gpu' } }), snap, undefined, sampler);
    expect(extra.node).toBeUndefined();
    if (extra.node === undefined) expect(extra.message).toBe("0/2000 nodes are available: 1993 node(s) didn't match Pod's node affinity/selector, 7 Too many pods.");
  });

  it('starts each decision where the last one stopped, so every node gets its turn', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) => makeNode(`n${String(i).padStart(4, '0')}`));
    const snap = snapshotFromObjects(nodes, []);
    const sampler = createNodeSampler();
    const chosen = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const result = schedulePod(makePod(`p${i}`), snap, undefined, sampler);
      expect(result.node).toBeDefined();
      chosen.add(result.node!);
      snap.assume(makePod(`p${i}`), result.node!);
    }
    // 420 nodes looked at per decision: after 10 decisions the start has gone round the list more than 4 times
    expect(sampler.nextStartIndex).toBe((10 * 420) % 1000);
    expect(chosen.size).toBe(10);
  });
});
