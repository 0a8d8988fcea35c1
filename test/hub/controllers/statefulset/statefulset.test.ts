import { afterEach, describe, expect, it } from 'vitest';
import type { ControllerRevision, PersistentVolumeClaim, Pod, StatefulSet } from '../../../../protocol/index.js';
import { createStatefulSetController } from '../../../../hub/controllers/statefulset/statefulset-controller.js';
import { createGarbageCollector } from '../../../../hub/controllers/garbage-collector.js';
import { finishTerminating, harness, isActive, makeReady, node, podsIn, settle, template, until, type Harness } from '../workload-support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

function statefulSet(name: string, spec: Partial<StatefulSet['spec']> = {}): StatefulSet {
  const labels = { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace: 'default' },
    spec: { replicas: 3, serviceName: name, selector: { matchLabels: labels }, template: template(labels), ...spec },
  };
}

const getSet = async (hh: Harness, name: string): Promise<StatefulSet> => (await hh.store.get<StatefulSet>({ kind: 'StatefulSet', namespace: 'default', name }))!;
const names = (pods: Pod[]): string[] => pods.map((p) => p.metadata.name).sort();
const activeNames = async (hh: Harness): Promise<string[]> => names((await podsIn(hh.store)).filter(isActive));
const getPod = async (hh: Harness, name: string): Promise<Pod | undefined> => hh.store.get<Pod>({ kind: 'Pod', namespace: 'default', name });
const revisionLabel = (p: Pod | undefined): string | undefined => p?.metadata.labels?.['controller-revision-hash'];

async function readyAll(hh: Harness): Promise<void> {
  for (const p of (await podsIn(hh.store)).filter(isActive)) {
    if (!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) await makeReady(hh, p);
  }
}

/** Make pods ready as they come and finish deletions, until `check` holds. */
async function drive(hh: Harness, what: string, check: () => Promise<boolean>): Promise<void> {
  await until(what, async () => {
    await finishTerminating(hh);
    await readyAll(hh);
    return check();
  });
}

async function updateSet(hh: Harness, name: string, change: (s: StatefulSet) => void): Promise<void> {
  const cur = await getSet(hh, name);
  const next = structuredClone(cur);
  change(next);
  await hh.store.update(next);
}

describe('StatefulSet controller', () => {
  it('OrderedReady: creates <set>-0, -1, -2 in order, each only once the one below is Running and Ready', async () => {
    h = await harness('sts-');
    await h.store.create(node('wl-node-a'));
    await h.run(createStatefulSetController);
    const set = await h.store.create(statefulSet('tsdb'));
    await until('tsdb-0', async () => (await activeNames(h!)).join() === 'tsdb-0');
    await settle(h.store, 150);
    expect(await activeNames(h)).toEqual(['tsdb-0']); // waits for tsdb-0 to be ready

    const p0 = (await getPod(h, 'tsdb-0'))!;
    expect(p0.spec.hostname).toBe('tsdb-0');
    expect(p0.spec.subdomain).toBe('tsdb');
    expect(p0.metadata.labels).toMatchObject({ app: 'tsdb', 'statefulset.kubernetes.io/pod-name': 'tsdb-0', 'apps.kubernetes.io/pod-index': '0' });
    expect(p0.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'StatefulSet', name: 'tsdb', uid: set.metadata.uid, controller: true });

    await makeReady(h, p0);
    await until('tsdb-1', async () => (await activeNames(h!)).join() === 'tsdb-0,tsdb-1');
    await settle(h.store, 150);
    expect(await activeNames(h)).toEqual(['tsdb-0', 'tsdb-1']);
    await makeReady(h, (await getPod(h, 'tsdb-1'))!);
    await until('tsdb-2', async () => (await activeNames(h!)).length === 3);
    await makeReady(h, (await getPod(h, 'tsdb-2'))!);

    await until('status', async () => (await getSet(h!, 'tsdb')).status?.readyReplicas === 3);
    const st = (await getSet(h, 'tsdb')).status!;
    expect(st).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    expect(st.currentRevision).toBe(st.updateRevision);
    expect(st.updateRevision).toMatch(/^tsdb-[a-z0-9]{8,10}$/);
    const pods = await podsIn(h.store);
    expect(pods.every((p) => revisionLabel(p) === st.updateRevision)).toBe(true);
    const revs = (await h.store.list<ControllerRevision>('ControllerRevision', { namespace: 'default' })).items;
    expect(revs.map((r) => [r.metadata.name, r.revision])).toEqual([[st.updateRevision, 1]]);
    expect(revs[0]!.data).toMatchObject({ spec: { template: { $patch: 'replace', metadata: { labels: { app: 'tsdb' } } } } });
  });

  it('a deleted pod comes back with its name; Parallel creates all at once without waiting', async () => {
    h = await harness('sts-');
    await h.store.create(node('wl-node-a'));
    await h.run(createStatefulSetController);
    await h.store.create(statefulSet('par', { podManagementPolicy: 'Parallel' }));
    await until('all three at once', async () => (await activeNames(h!)).join() === 'par-0,par-1,par-2');
    const old = (await getPod(h, 'par-1'))!;
    await h.store.delete({ kind: 'Pod', namespace: 'default', name: 'par-1' });
    await until('par-1 again', async () => {
      const p = await getPod(h!, 'par-1');
      return p !== undefined && p.metadata.uid !== old.metadata.uid;
    });
    expect(await activeNames(h)).toEqual(['par-0', 'par-1', 'par-2']);
  });

  it('OrderedReady: a pod that is not ready blocks the ones above it; a failed pod is replaced', async () => {
    h = await harness('sts-');
    await h.store.create(node('wl-node-a'));
    await h.run(createStatefulSetController);
    await h.store.create(statefulSet('blk', { replicas: 2 }));
    await drive(h, 'two ready', async () => (await getSet(h!, 'blk')).status?.readyReplicas === 2);
    const p0 = (await getPod(h, 'blk-0'))!;
    await h.store.update<Pod>({ ...p0, status: { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False' }] } });
    await until('blk-0 replaced', async () => {
      await finishTerminating(h!);
      const p = await getPod(h!, 'blk-0');
      return p !== undefined && p.metadata.uid !== p0.metadata.uid;
    });
  });

  it('scale-down removes the highest ordinal first, one at a time; scale-up adds the next ordinals', async () => {
    h = await harness('sts-');
    await h.store.create(node('wl-node-a'));
    await h.run(createStatefulSetController);
    await h.store.create(statefulSet('sc', { replicas: 4 }));
    await drive(h, 'four ready', async () => (await getSet(h!, 'sc')).status?.readyReplicas === 4);
    await updateSet(h, 'sc', (s) => (s.spec.replicas = 2));
    await until('sc-3 terminating', async () => (await getPod(h!, 'sc-3'))?.metadata.deletionTimestamp !== undefined);
    await settle(h.store, 150);
    // sc-2 waits until sc-3 is gone
    expect((await getPod(h, 'sc-2'))?.metadata.deletionTimestamp).toBeUndefined();
    await finishTerminating(h);
    await until('sc-2 terminating', async () => (await getPod(h!, 'sc-2'))?.metadata.deletionTimestamp !== undefined);
    await finishTerminating(h);
    await until('two left', async () => (await getSet(h!, 'sc')).status?.replicas === 2);
    expect(await activeNames(h)).toEqual(['sc-0', 'sc-1']);

    await updateSet(h, 'sc', (s) => (s.spec.replicas = 3));
    await drive(h, 'sc-2 back', async () => (await activeNames(h!)).join() === 'sc-0,sc-1,sc-2');
  });

  it('RollingUpdate: highest ordinal first, each once the one above is ready again; partition keeps the lower ordinals', async () => {
    h = await harness('sts-');
    await h.store.create(node('wl-node-a'));
    await h.run(createStatefulSetController);
    await h.store.create(statefulSet('ru', { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    await drive(h, 'three ready', async () => (await getSet(h!, 'ru')).status?.readyReplicas === 3);
    const rev1 = (await getSet(h, 'ru')).status!.updateRevision!;

    await updateSet(h, 'ru', (s) => (s.spec.template.spec.containers[0]!.image = 'registry.local/nginx:1.27'));
    await until('ru-2 deleted first', async () => (await getPod(h!, 'ru-2'))?.metadata.deletionTimestamp !== undefined);
    await settle(h.store, 150);
    expect((await getPod(h, 'ru-1'))?.metadata.deletionTimestamp).toBeUndefined();
    const st = (await getSet(h, 'ru')).status!;
    expect(st.currentRevision).toBe(rev1);
    const rev2 = st.updateRevision!;
    expect(rev2).not.toBe(rev1);

    await drive(h, 'ru-1 updated', async () => revisionLabel(await getPod(h!, 'ru-1')) === rev2 && (await getSet(h!, 'ru')).status?.readyReplicas === 3);
    expect(revisionLabel(await getPod(h, 'ru-2'))).toBe(rev2);
    expect((await getPod(h, 'ru-2'))?.spec.containers[0]?.image).toBe('registry.local/nginx:1.27');
    await settle(h.store, 200);
    // the partition: ru-0 keeps the old revision, also when it is deleted and made again
    expect(revisionLabel(await getPod(h, 'ru-0'))).toBe(rev1);
    await h.store.delete({ kind: 'Pod', namespace: 'default', name: 'ru-0' });
    await drive(h, 'ru-0 again', async () => (await getSet(h!, 'ru')).status?.readyReplicas === 3 && (await getPod(h!, 'ru-0')) !== undefined);
    expect(revisionLabel(await getPod(h, 'ru-0'))).toBe(rev1);
    expect((await getPod(h, 'ru-0'))?.spec.containers[0]?.image).toBe('registry.local/nginx:1.26');
    expect((await getSet(h, 'ru')).status).toMatchObject({ currentRevision: rev1, updateRevision: rev2, currentReplicas: 1, updatedReplicas: 2 });

    // partition 0: the rest follows, and the update revision becomes the current one
    await updateSet(h, 'ru', (s) => (s.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }));
    await drive(h, 'all updated', async () => (await getSet(h!, 'ru')).status?.currentRevision === rev2);
    expect((await getSet(h, 'ru')).status).toMatchObject({ currentReplicas: 3, updatedReplicas: 3, currentRevision: rev2, updateRevision: rev2 });

    // undo: the old template comes back on its old revision, renumbered 3
    await updateSet(h, 'ru', (s) => (s.spec.template.spec.containers[0]!.image = 'registry.local/nginx:1.26'));
    await drive(h, 'back to rev1', async () => (await getSet(h!, 'ru')).status?.currentRevision === rev1);
    const revs = (await h.store.list<ControllerRevision>('ControllerRevision', { namespace: 'default' })).items;
    expect(Object.fromEntries(revs.map((r) => [r.metadata.name, r.revision]))).toEqual({ [rev1]: 3, [rev2]: 2 });
  });

  it('RollingUpdate with maxUnavailable 2 replaces two pods at once', async () => {
    h = await harness('sts-');
    await h.store.create(node('wl-node-a'));
    await h.run(createStatefulSetController);
    await h.store.create(statefulSet('mu', { replicas: 3, podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } } }));
    await drive(h, 'three ready', async () => (await getSet(h!, 'mu')).status?.readyReplicas === 3);
    await updateSet(h, 'mu', (s) => (s.spec.template.metadata = { labels: { app: 'mu' }, annotations: { v: '2' } }));
    await until('two terminating', async () => (await podsIn(h!.store)).filter((p) => p.metadata.deletionTimestamp).length === 2);
    expect(names((await podsIn(h.store)).filter((p) => p.metadata.deletionTimestamp))).toEqual(['mu-1', 'mu-2']);
  });

  it('OnDelete: a template change replaces nothing until a pod is deleted, which comes back updated', async () => {
    h = await harness('sts-');
    await h.store.create(node('wl-node-a'));
    await h.run(createStatefulSetController);
    await h.store.create(statefulSet('od', { replicas: 2, updateStrategy: { type: 'OnDelete' } }));
    await drive(h, 'two ready', async () => (await getSet(h!, 'od')).status?.readyReplicas === 2);
    const rev1 = (await getSet(h, 'od')).status!.updateRevision!;
    await updateSet(h, 'od', (s) => (s.spec.template.spec.containers[0]!.image = 'registry.local/nginx:1.27'));
    await until('new revision', async () => (await getSet(h!, 'od')).status?.updateRevision !== rev1);
    await settle(h.store, 200);
    expect((await podsIn(h.store)).every((p) => !p.metadata.deletionTimestamp && revisionLabel(p) === rev1)).toBe(true);
    await h.store.delete({ kind: 'Pod', namespace: 'default', name: 'od-0' });
    const rev2 = (await getSet(h, 'od')).status!.updateRevision!;
    await drive(h, 'od-0 updated', async () => revisionLabel(await getPod(h!, 'od-0')) === rev2);
    expect(revisionLabel(await getPod(h, 'od-1'))).toBe(rev1);
  });

  it('minReadySeconds: the next ordinal waits until the pod has been ready that long', async () => {
    h = await harness('sts-');
    await h.store.create(node('wl-node-a'));
    await h.run(createStatefulSetController);
    await h.store.create(statefulSet('mr', { replicas: 2, minReadySeconds: 30 }));
    await until('mr-0', async () => (await getPod(h!, 'mr-0')) !== undefined);
    await makeReady(h, (await getPod(h, 'mr-0'))!);
    await settle(h.store, 200);
    expect(await activeNames(h)).toEqual(['mr-0']);
    expect((await getSet(h, 'mr')).status).toMatchObject({ readyReplicas: 1, availableReplicas: 0 });
    h.advance(31_000);
    await updateSet(h, 'mr', (s) => (s.metadata.annotations = { poke: '1' }));
    await until('mr-1', async () => (await getPod(h!, 'mr-1')) !== undefined);
  });

  it('volumeClaimTemplates: one claim <template>-<set>-<ordinal> per pod, mounted as the volume; kept on pod deletion; retention policy', async () => {
    h = await harness('sts-');
    await h.store.create(node('wl-node-a'));
    await h.run(createStatefulSetController, createGarbageCollector);
    const claimTemplate = { metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce' as const], resources: { requests: { storage: '1Gi' } } } };
    const set = await h.store.create(
      statefulSet('vol', { replicas: 2, podManagementPolicy: 'Parallel', volumeClaimTemplates: [claimTemplate], persistentVolumeClaimRetentionPolicy: { whenScaled: 'Delete', whenDeleted: 'Retain' } }),
    );
    const claims = async (): Promise<PersistentVolumeClaim[]> => (await h!.store.list<PersistentVolumeClaim>('PersistentVolumeClaim', { namespace: 'default' })).items;
    await drive(h, 'two ready', async () => (await getSet(h!, 'vol')).status?.readyReplicas === 2);
    expect((await claims()).map((c) => c.metadata.name).sort()).toEqual(['data-vol-0', 'data-vol-1']);
    const c0 = (await claims()).find((c) => c.metadata.name === 'data-vol-0')!;
    expect(c0.metadata.labels).toEqual({ tier: 'db', app: 'vol' });
    expect(c0.spec.resources.requests.storage).toBe('1Gi');
    expect(c0.metadata.ownerReferences).toBeUndefined();
    const p1 = (await getPod(h, 'vol-1'))!;
    expect(p1.spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-vol-1' } });

    // a deleted pod comes back to the same claim
    await h.store.delete({ kind: 'Pod', namespace: 'default', name: 'vol-1' });
    await drive(h, 'vol-1 again', async () => (await getPod(h!, 'vol-1'))?.metadata.uid !== p1.metadata.uid && (await getPod(h!, 'vol-1')) !== undefined);
    const c1 = (await claims()).find((c) => c.metadata.name === 'data-vol-1');
    expect(c1).toBeDefined();

    // whenScaled: Delete: scaling to 1 deletes data-vol-1 once vol-1 is gone
    await updateSet(h, 'vol', (s) => (s.spec.replicas = 1));
    await drive(h, 'claim of vol-1 gone', async () => (await claims()).map((c) => c.metadata.name).join() === 'data-vol-0');

    // whenDeleted: Delete puts the set's reference on the claims; deleting the set takes them
    await updateSet(h, 'vol', (s) => (s.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: 'Delete', whenScaled: 'Retain' }));
    await until('owner ref', async () => ((await claims())[0]?.metadata.ownerReferences ?? []).some((r) => r.uid === set.metadata.uid));
    await h.store.delete({ kind: 'StatefulSet', namespace: 'default', name: 'vol' });
    await drive(h, 'claims gone with the set', async () => (await claims()).length === 0);
  });

  it('whenScaled and whenDeleted Retain (the default) keep every claim', async () => {
    h = await harness('sts-');
    await h.store.create(node('wl-node-a'));
    await h.run(createStatefulSetController, createGarbageCollector);
    const claimTemplate = { metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce' as const], resources: { requests: { storage: '10Mi' } } } };
    await h.store.create(statefulSet('keep', { replicas: 2, volumeClaimTemplates: [claimTemplate] }));
    await drive(h, 'two ready', async () => (await getSet(h!, 'keep')).status?.readyReplicas === 2);
    await updateSet(h, 'keep', (s) => (s.spec.replicas = 0));
    await drive(h, 'scaled to 0', async () => (await podsIn(h!.store)).length === 0 && (await getSet(h!, 'keep')).status?.replicas === 0);
    await h.store.delete({ kind: 'StatefulSet', namespace: 'default', name: 'keep' });
    await settle(h.store, 300);
    const left = (await h.store.list<PersistentVolumeClaim>('PersistentVolumeClaim', { namespace: 'default' })).items;
    expect(left.map((c) => c.metadata.name).sort()).toEqual(['www-keep-0', 'www-keep-1']);
  });
});
