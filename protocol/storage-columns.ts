/**
 * kubectl's columns for storage: PersistentVolumeClaim (STATUS, VOLUME, CAPACITY, ACCESS MODES,
 * STORAGECLASS, VOLUMEATTRIBUTESCLASS, AGE; wide VOLUMEMODE), PersistentVolume (CAPACITY, ACCESS MODES,
 * RECLAIM POLICY, STATUS, CLAIM, STORAGECLASS, VOLUMEATTRIBUTESCLASS, REASON, AGE; wide VOLUMEMODE) and
 * StorageClass (PROVISIONER, RECLAIMPOLICY, VOLUMEBINDINGMODE, ALLOWVOLUMEEXPANSION, AGE), as kubectl's
 * printers compute them.
 */
import type { KubeObject } from './objects/meta.js';
import type { AccessMode, PersistentVolume, PersistentVolumeClaim, StorageClass } from './objects/storage.js';
import { shortAge } from './pod-display.js';
import type { Column } from './table-columns.js';

const SHORT_MODES: Record<AccessMode, string> = { ReadWriteOnce: 'RWO', ReadOnlyMany: 'ROX', ReadWriteMany: 'RWX', ReadWriteOncePod: 'RWOP' };

/** kubectl's ACCESS MODES: "RWO,ROX". */
export function accessModesText(modes: readonly AccessMode[] | undefined): string {
  return (modes ?? []).map((m) => SHORT_MODES[m]).join(',');
}

const age: Column = { header: 'AGE', value: (o, now) => shortAge(o.metadata.creationTimestamp, now) };
const pvc = (o: KubeObject) => o as PersistentVolumeClaim;
const pv = (o: KubeObject) => o as PersistentVolume;
const sc = (o: KubeObject) => o as StorageClass;

export const PVC_COLUMNS: Column[] = [
  { header: 'STATUS', value: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : (pvc(o).status?.phase ?? 'Pending')) },
  { header: 'VOLUME', value: (o) => pvc(o).spec.volumeName ?? '' },
  { header: 'CAPACITY', value: (o) => pvc(o).status?.capacity?.storage ?? '' },
  { header: 'ACCESS MODES', value: (o) => accessModesText(pvc(o).status?.accessModes) },
  { header: 'STORAGECLASS', value: (o) => pvc(o).spec.storageClassName || '<unset>' },
  { header: 'VOLUMEATTRIBUTESCLASS', value: () => '<unset>' },
  age,
  { header: 'VOLUMEMODE', value: (o) => pvc(o).spec.volumeMode ?? 'Filesystem', wideOnly: true },
];

export const PV_COLUMNS: Column[] = [
  { header: 'CAPACITY', value: (o) => pv(o).spec.capacity.storage },
  { header: 'ACCESS MODES', value: (o) => accessModesText(pv(o).spec.accessModes) },
  { header: 'RECLAIM POLICY', value: (o) => pv(o).spec.persistentVolumeReclaimPolicy ?? 'Retain' },
  { header: 'STATUS', value: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : (pv(o).status?.phase ?? 'Pending')) },
  {
    header: 'CLAIM',
    value: (o) => {
      const ref = pv(o).spec.claimRef;
      return ref?.name ? `${ref.namespace ?? ''}/${ref.name}` : '';
    },
  },
  { header: 'STORAGECLASS', value: (o) => pv(o).spec.storageClassName || '<unset>' },
  { header: 'VOLUMEATTRIBUTESCLASS', value: () => '<unset>' },
  { header: 'REASON', value: (o) => pv(o).status?.reason ?? '' },
  age,
  { header: 'VOLUMEMODE', value: (o) => pv(o).spec.volumeMode ?? 'Filesystem', wideOnly: true },
];

export const STORAGECLASS_COLUMNS: Column[] = [
  { header: 'PROVISIONER', value: (o) => sc(o).provisioner },
  { header: 'RECLAIMPOLICY', value: (o) => sc(o).reclaimPolicy ?? 'Delete' },
  { header: 'VOLUMEBINDINGMODE', value: (o) => sc(o).volumeBindingMode ?? 'Immediate' },
  { header: 'ALLOWVOLUMEEXPANSION', value: (o) => String(sc(o).allowVolumeExpansion ?? false) },
  age,
];
