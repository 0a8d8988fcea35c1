import { afterEach, describe, expect, it } from 'vitest';
import type { Event, Node, Pod } from '../../../protocol/index.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../protocol/objects/storage.js';
import { createVolumeController, type VolumeCleaner } from '../../../hub/controllers/volume/volume-controller.js';
import { harness, node, until, type Harness } from './workload-support.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

function cleaner(fail = false): VolumeCleaner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async deleteVolume(n, v) {
      calls.push(`${n}/${v}`);
      if (fail) throw new Error(`node "${n}" is not connected`);
    },
  };
}

const claim = (name: string, spec: Partial<PersistentVolumeClaim['spec']> = {}): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path', ...spec },
});
const getClaim = async (name: string) => (await h!.store.get<PersistentVolumeClaim>({ kind: 'PersistentVolumeClaim', namespace: 'default', name }))!;
const getVolume = (name: string) => h!.store.get<PersistentVolume>({ kind: 'PersistentVolume', namespace: '', name });
const reasons = async (): Promise<string[]> => (await h!.store.list<Event>('Event')).items.map((e) => `${e.reason}: ${e.message}`);
const storageNode = (name: string, dir?: string): Node => {
  const n = node(name);
  return { ...n, metadata: { ...n.metadata, ...(dir ? { annotations: { 'storage.drover.io/local-volume-dir': dir } } : {}) } };
};
async function select(name: string, nodeName: string): Promise<void> {
  const c = await getClaim(name);
  await h!.store.update({ ...c, metadata: { ...c.metadata, annotations: { ...c.metadata.annotations, 'volume.kubernetes.io/selected-node': nodeName } } });
}
const podUsing = (name: string, claimName: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName } }] },
  status: { phase: 'Running' },
});
async function markDeleted(name: string): Promise<void> {
  const c = await getClaim(name);
  await h!.store.update({ ...c, metadata: { ...c.metadata, deletionTimestamp: '2026-03-01T10:00:00Z' } });
}

describe('volume controller', () => {
  it('creates the default local-path class, waits for the first consumer, then provisions and binds on the selected node', async () => {
    h = await harness('vol-provision');
    const cl = cleaner();
    await h.store.create(storageNode('n1', '/var/lib/drover/agent/volumes'));
    await h.run((o) => createVolumeController({ ...o, cleaner: cl }));
    const sc = await h.store.get<StorageClass>({ kind: 'StorageClass', namespace: '', name: 'local-path' });
    expect(sc).toMatchObject({ provisioner: 'drover.io/local-path', volumeBindingMode: 'WaitForFirstConsumer', reclaimPolicy: 'Delete', metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } } });

    const created = await h.store.create(claim('data'));
    await until('the claim protected and Pending', async () => {
      const c = await getClaim('data');
      return c.status?.phase === 'Pending' && (c.metadata.finalizers ?? []).includes('kubernetes.io/pvc-protection');
    });
    expect(await reasons()).toContain('WaitForFirstConsumer: waiting for first consumer to be created before binding');

    await select('data', 'n1');
    await until('the claim Bound', async () => (await getClaim('data')).status?.phase === 'Bound');
    const c = await getClaim('data');
    const name = `pvc-${created.metadata.uid}`;
    expect(c.spec.volumeName).toBe(name);
    expect(c.status).toEqual({ phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
    const pv = (await getVolume(name))!;
    expect(pv.spec).toMatchObject({
      capacity: { storage: '1Gi' },
      persistentVolumeReclaimPolicy: 'Delete',
      local: { path: `/var/lib/drover/agent/volumes/${name}` },
      claimRef: { namespace: 'default', name: 'data', uid: created.metadata.uid },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } },
    });
    await until('the volume Bound', async () => (await getVolume(name))?.status?.phase === 'Bound');
    expect((await reasons()).some((r) => r.startsWith(`ProvisioningSucceeded: Successfully provisioned volume ${name} on node n1`))).toBe(true);
  });

  it('does not provision on a node that reports no volume directory', async () => {
    h = await harness('vol-nodir');
    await h.store.create(storageNode('old'));
    await h.run((o) => createVolumeController({ ...o, cleaner: cleaner() }));
    await h.store.create(claim('data'));
    await until('the claim protected', async () => ((await getClaim('data')).metadata.finalizers ?? []).length > 0);
    await select('data', 'old');
    await until('the failure event', async () => (await reasons()).some((r) => r.startsWith('ProvisioningFailed: node "old" does not report its local volume directory')));
    expect((await getClaim('data')).spec.volumeName).toBeUndefined();
    expect((await h.store.list('PersistentVolume')).items).toEqual([]);
  });

  it("binds an Immediate claim to the smallest suitable admin volume, and keeps a Retain volume Released after its claim", async () => {
    h = await harness('vol-static');
    await h.run((o) => createVolumeController({ ...o, cleaner: cleaner(), ensureDefaultClass: false }));
    const hostPath = (name: string, size: string): PersistentVolume => ({
      apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
      spec: { capacity: { storage: size }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: '', hostPath: { path: `/srv/${name}` } },
    });
    await h.store.create(hostPath('big', '10Gi'));
    await h.store.create(hostPath('small', '2Gi'));
    await h.store.create(hostPath('tiny', '512Mi'));
    await until('the volumes Available', async () => (await h!.store.list<PersistentVolume>('PersistentVolume')).items.every((v) => v.status?.phase === 'Available'));
    await h.store.create(claim('data', { storageClassName: '' }));
    await until('the claim Bound', async () => (await getClaim('data')).status?.phase === 'Bound');
    expect((await getClaim('data')).spec.volumeName).toBe('small');
    await markDeleted('data');
    await until('the claim gone', async () => !(await h!.store.get({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data' })));
    await until('the volume Released', async () => (await getVolume('small'))?.status?.phase === 'Released');
    expect((await getVolume('small'))!.spec.claimRef?.name).toBe('data');
  });

  it('keeps a claim being deleted while a pod uses it; then the Delete policy has the node remove the directory (retried while it is away)', async () => {
    h = await harness('vol-reclaim');
    const cl = cleaner(true);
    await h.store.create(storageNode('n1', '/d/volumes'));
    await h.run((o) => createVolumeController({ ...o, cleaner: cl, cleanupRetryMs: 200 }));
    await h.store.create(claim('data'));
    await until('the claim protected', async () => ((await getClaim('data')).metadata.finalizers ?? []).length > 0);
    await select('data', 'n1');
    await until('the claim Bound', async () => (await getClaim('data')).status?.phase === 'Bound');
    const volume = (await getClaim('data')).spec.volumeName!;
    await h.store.create(podUsing('user', 'data'));
    await markDeleted('data');
    // pvc-protection: the pod still uses it
    await new Promise((r) => setTimeout(r, 300));
    expect((await getClaim('data')).metadata.finalizers).toContain('kubernetes.io/pvc-protection');
    await h.store.delete({ kind: 'Pod', namespace: 'default', name: 'user' });
    await until('the claim gone', async () => !(await h!.store.get({ kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data' })));
    await until('the node asked to delete the directory', async () => cl.calls.includes(`n1/${volume}`));
    const released = (await getVolume(volume))!;
    expect(released.status?.phase).toBe('Released');
    await until('the wait noted on the volume', async () => ((await getVolume(volume))?.status?.message ?? '').startsWith('waiting for node n1 to delete'));
    // the node answers now: the volume goes
    cl.deleteVolume = async (n, v) => {
      cl.calls.push(`${n}/${v}:ok`);
    };
    await until('the volume deleted', async () => !(await getVolume(volume)), 30_000);
    expect(cl.calls).toContain(`n1/${volume}:ok`);
  });
});
