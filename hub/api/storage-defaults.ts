/**
 * What kube-apiserver fills in on storage objects at create: a claim without storageClassName gets the
 * default StorageClass (the DefaultStorageClass admission plugin; none when no class is the default),
 * claims and volumes get volumeMode Filesystem, and a volume without a reclaim policy gets Retain (the
 * default for volumes an admin makes).
 */
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../protocol/objects/storage.js';
import { defaultStorageClass } from '../placement/volumes.js';
import type { ApiDeps } from './context.js';

export async function defaultStorage(deps: Pick<ApiDeps, 'cache'>, obj: KubeObject): Promise<KubeObject> {
  if (obj.kind === 'PersistentVolumeClaim') {
    const claim = obj as PersistentVolumeClaim;
    const spec = { ...claim.spec, volumeMode: claim.spec.volumeMode ?? 'Filesystem' };
    if (spec.storageClassName === undefined) {
      const classes = deps.cache.holds('StorageClass') ? deps.cache.kind<StorageClass>('StorageClass').list() : [];
      const sc = defaultStorageClass(classes);
      if (sc) spec.storageClassName = sc.metadata.name;
    }
    return { ...claim, spec } as KubeObject;
  }
  if (obj.kind === 'PersistentVolume') {
    const pv = obj as PersistentVolume;
    return { ...pv, spec: { ...pv.spec, volumeMode: pv.spec.volumeMode ?? 'Filesystem', persistentVolumeReclaimPolicy: pv.spec.persistentVolumeReclaimPolicy ?? 'Retain' } } as KubeObject;
  }
  return obj;
}
