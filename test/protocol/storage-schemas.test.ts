import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseManifests, validateObject } from '../../protocol/manifest.js';
import { columnsFor } from '../../protocol/table-columns.js';
import { resolveResource } from '../../protocol/kinds.js';
import type { KubeObject } from '../../protocol/objects/meta.js';

const pvc = (spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } });
const affinity = { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } };
const pv = (spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv1' }, spec: { capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'], ...spec } });

describe('storage schemas', () => {
  it('accepts a claim as Kubernetes writes it and refuses what Drover does not have, naming the field', () => {
    expect(validateObject(pvc({ storageClassName: 'local-path' }), 'PersistentVolumeClaim "data"').kind).toBe('PersistentVolumeClaim');
    expect(validateObject(pvc({ storageClassName: '' }), 'PersistentVolumeClaim "data"').kind).toBe('PersistentVolumeClaim');
    expect(() => validateObject(pvc({ volumeMode: 'Block' }), 'PersistentVolumeClaim "data"')).toThrow(/spec.volumeMode: .*Block is not supported/);
    expect(() => validateObject(pvc({ dataSource: { kind: 'VolumeSnapshot', name: 's' } }), 'PersistentVolumeClaim "data"')).toThrow('spec.dataSource: unknown field');
    expect(() => validateObject(pvc({ accessModes: ['ReadWriteSometimes'] }), 'PersistentVolumeClaim "data"')).toThrow(/spec.accessModes.0/);
    expect(() => validateObject(pvc({ resources: { requests: { storage: 'lots' } } }), 'PersistentVolumeClaim "data"')).toThrow(/spec.resources.requests.storage: must be a quantity/);
    expect(() => validateObject(pvc({ resources: {} }), 'PersistentVolumeClaim "data"')).toThrow(/spec.resources.requests/);
  });

  it('a PersistentVolume has exactly one source, local or hostPath; local needs its node', () => {
    expect(validateObject(pv({ local: { path: '/srv/data' }, nodeAffinity: affinity }), 'PersistentVolume "pv1"').kind).toBe('PersistentVolume');
    expect(validateObject(pv({ hostPath: { path: '/srv/data', type: 'DirectoryOrCreate' }, persistentVolumeReclaimPolicy: 'Retain' }), 'PersistentVolume "pv1"').kind).toBe('PersistentVolume');
    expect(() => validateObject(pv({ local: { path: '/srv/data' } }), 'PersistentVolume "pv1"')).toThrow(/spec.nodeAffinity: a local volume requires nodeAffinity.required/);
    expect(() => validateObject(pv({}), 'PersistentVolume "pv1"')).toThrow(/spec.local: a volume source is required/);
    expect(() => validateObject(pv({ nfs: { server: 'x', path: '/' } }), 'PersistentVolume "pv1"')).toThrow('spec.nfs: unknown field');
    expect(() => validateObject(pv({ hostPath: { path: 'rel' } }), 'PersistentVolume "pv1"')).toThrow(/spec.hostPath.path: must be an absolute path/);
    expect(() => validateObject(pv({ hostPath: { path: '/srv' }, persistentVolumeReclaimPolicy: 'Recycle' }), 'PersistentVolume "pv1"')).toThrow(/spec.persistentVolumeReclaimPolicy: must be Retain or Delete/);
  });

  it('a StorageClass names its provisioner and binding mode', () => {
    const sc = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fast' }, provisioner: 'drover.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' };
    expect(validateObject(sc, 'StorageClass "fast"').kind).toBe('StorageClass');
    expect(() => validateObject({ ...sc, volumeBindingMode: 'Later' }, 'StorageClass "fast"')).toThrow(/volumeBindingMode/);
    expect(() => validateObject({ ...sc, spec: {} }, 'StorageClass "fast"')).toThrow('spec: unknown field');
  });

  it('the example claim and pod validate', () => {
    const objects = parseManifests(readFileSync(new URL('../../install/examples/local-volume.yaml', import.meta.url), 'utf8'));
    expect(objects.map((o) => o.kind)).toEqual(['PersistentVolumeClaim', 'Pod']);
  });

  it('a pod volume names its claim', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: '' } }] } };
    expect(() => validateObject(pod, 'Pod "p"')).toThrow(/spec.volumes\[0\].persistentVolumeClaim.claimName: a claim name is required/);
  });

  it("resolves kubectl's names and prints kubectl's columns", () => {
    expect(resolveResource('pvc')?.kind).toBe('PersistentVolumeClaim');
    expect(resolveResource('pv')?.kind).toBe('PersistentVolume');
    expect(resolveResource('sc')?.kind).toBe('StorageClass');
    expect(resolveResource('storageclasses.storage.k8s.io')?.kind).toBe('StorageClass');
    const claim = { ...pvc({ storageClassName: 'local-path', volumeName: 'pvc-1' }), status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } } as unknown as KubeObject;
    const cols = columnsFor('PersistentVolumeClaim').filter((c) => !c.wideOnly);
    expect(cols.map((c) => c.header)).toEqual(['STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE']);
    expect(cols.slice(0, 5).map((c) => c.value(claim, 0))).toEqual(['Bound', 'pvc-1', '1Gi', 'RWO', 'local-path']);
    const volume = { ...pv({ local: { path: '/x' }, persistentVolumeReclaimPolicy: 'Delete', claimRef: { namespace: 'default', name: 'data' } }), status: { phase: 'Bound' } } as unknown as KubeObject;
    const pvCols = columnsFor('PersistentVolume').filter((c) => !c.wideOnly);
    expect(pvCols.map((c) => c.header)).toEqual(['CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE']);
    expect(pvCols.slice(0, 5).map((c) => c.value(volume, 0))).toEqual(['5Gi', 'RWO', 'Delete', 'Bound', 'default/data']);
    expect(columnsFor('StorageClass').map((c) => c.header)).toEqual(['PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
  });
});
