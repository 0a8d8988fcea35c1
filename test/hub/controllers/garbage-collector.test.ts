import { afterEach, describe, expect, it } from 'vitest';
import type { Pod, ReplicaSet } from '../../../protocol/index.js';
import { createDeploymentController } from '../../../hub/controllers/deployment.js';
import { createGarbageCollector } from '../../../hub/controllers/garbage-collector.js';
import { createReplicaSetController } from '../../../hub/controllers/replicaset.js';
import { deployment, finishTerminating, harness, makeReady, node, podsIn, until, type Harness } from './workload-support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

describe('garbage collector', () => {
  it('deleting a Deployment removes its ReplicaSets and their pods (bound pods gracefully)', async () => {
    h = await harness('wl-gc-');
    await h.store.create(node('wl-node-a'));
    await h.run(createReplicaSetController, createDeploymentController, createGarbageCollector);
    await h.store.create(deployment('wl-gone', { replicas: 2 }));
    await h.store.create(deployment('wl-kept', { replicas: 1 }));
    await until('3 pods', async () => (await podsIn(h!.store)).length === 3);
    for (const p of await podsIn(h.store, 'default', { app: 'wl-gone' })) await makeReady(h, p);

    await h.store.delete({ kind: 'Deployment', namespace: 'default', name: 'wl-gone' });
    await until('replica set gone', async () =>
      (await h!.store.list<ReplicaSet>('ReplicaSet')).items.every((rs) => !rs.metadata.name.startsWith('wl-gone-')),
    );
    await until('bound pods terminating', async () => (await podsIn(h!.store, 'default', { app: 'wl-gone' })).every((p) => p.metadata.deletionTimestamp));
    expect(await finishTerminating(h)).toBe(2);
    expect(await podsIn(h.store, 'default', { app: 'wl-gone' })).toEqual([]);
    // The other Deployment is untouched.
    expect(await podsIn(h.store, 'default', { app: 'wl-kept' })).toHaveLength(1);
    expect((await h.store.list<ReplicaSet>('ReplicaSet')).items.map((r) => r.metadata.name)).toEqual([expect.stringMatching(/^wl-kept-/)]);
  });

  it('finds orphans whose owner uid is missing on resync, and leaves objects whose owner exists', async () => {
    h = await harness('wl-gc-');
    // Created before the collector starts: no event will tell it about them.
    const ownerRef = { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'wl-ghost', uid: 'no-such-uid', controller: true };
    await h.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wl-orphan', namespace: 'default', ownerReferences: [ownerRef] }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    // Same name as a live ReplicaSet but another uid: still an orphan (the owner was replaced).
    const live = await h.store.create<ReplicaSet>({
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'wl-live', namespace: 'default' },
      spec: { replicas: 0, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    await h.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wl-stale', namespace: 'default', ownerReferences: [{ ...ownerRef, name: 'wl-live' }] }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await h.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wl-owned', namespace: 'default', ownerReferences: [{ ...ownerRef, name: 'wl-live', uid: live.metadata.uid! }] }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await h.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wl-bare', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await h.run(createGarbageCollector);
    await until('orphans deleted', async () => (await podsIn(h!.store)).length === 2);
    expect((await podsIn(h.store)).map((p) => p.metadata.name).sort()).toEqual(['wl-bare', 'wl-owned']);

    // An orphan created while the collector runs is caught by its ADDED event.
    await h.store.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'wl-late-orphan', namespace: 'default', ownerReferences: [ownerRef] }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await until('late orphan deleted', async () => !(await podsIn(h!.store)).some((p) => p.metadata.name === 'wl-late-orphan'));
  });
});
