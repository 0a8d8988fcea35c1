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
