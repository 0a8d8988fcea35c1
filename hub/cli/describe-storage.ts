/**
 * `drover describe pvc|pv|storageclass`, as kubectl prints them: a claim's class, status, volume,
 * capacity, access modes and the pods using it ("Used By"); a volume's claim, reclaim policy, node
 * affinity and source; a class's provisioner, default flag, reclaim policy and binding mode. Events last.
 */
import type { Pod } from '../../protocol/objects/pod.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../protocol/objects/storage.js';
import { accessModesText } from '../../protocol/storage-columns.js';
import { ANNOTATION_DEFAULT_STORAGE_CLASS } from '../../protocol/well-known.js';
import { eventsSection, shownAnnotations, Text, type EventObject } from './describe-text.js';

const finalizersText = (f: string[] | undefined): string => `[${(f ?? []).join(' ')}]`;

export function describeClaim(claim: PersistentVolumeClaim, pods: readonly Pod[], events: EventObject[], now: number): string {
  const t = new Text();
  const usedBy = pods.filter((p) => (p.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claim.metadata.name)).map((p) => p.metadata.name);
  t.field('Name', claim.metadata.name)
    .field('Namespace', claim.metadata.namespace ?? 'default')
    .field('StorageClass', claim.spec.storageClassName || '')
    .field('Status', claim.metadata.deletionTimestamp ? `Terminating (lasts ${claim.metadata.deletionTimestamp})` : (claim.status?.phase ?? 'Pending'))
    .field('Volume', claim.spec.volumeName ?? '')
    .map('Labels', claim.metadata.labels)
    .map('Annotations', shownAnnotations(claim))
    .field('Finalizers', finalizersText(claim.metadata.finalizers))
    .field('Capacity', claim.status?.capacity?.storage ?? '')
    .field('Access Modes', accessModesText(claim.status?.accessModes))
    .field('VolumeMode', claim.spec.volumeMode ?? 'Filesystem')
    .field('Used By', usedBy.length ? usedBy.join(', ') : '<none>');
  eventsSection(t, events, now);
  return t.toString();
}

export function describeVolume(pv: PersistentVolume, events: EventObject[], now: number): string {
  const t = new Text();
  const ref = pv.spec.claimRef;
  t.field('Name', pv.metadata.name)
    .map('Labels', pv.metadata.labels)
    .map('Annotations', shownAnnotations(pv))
    .field('Finalizers', finalizersText(pv.metadata.finalizers))
    .field('StorageClass', pv.spec.storageClassName || '')
    .field('Status', pv.metadata.deletionTimestamp ? 'Terminating' : (pv.status?.phase ?? 'Pending'))
    .field('Claim', ref?.name ? `${ref.namespace ?? 'default'}/${ref.name}` : '')
    .field('Reclaim Policy', pv.spec.persistentVolumeReclaimPolicy ?? 'Retain')
    .field('Access Modes', accessModesText(pv.spec.accessModes))
    .field('VolumeMode', pv.spec.volumeMode ?? 'Filesystem')
    .field('Capacity', pv.spec.capacity.storage);
  const terms = pv.spec.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) t.field('Node Affinity', '<none>');
  else {
    t.line('Node Affinity:').line('  Required Terms:');
    terms.forEach((term, i) => {
      const exprs = [...(term.matchExpressions ?? []), ...(term.matchFields ?? [])].map((e) => `${e.key} ${e.operator.toLowerCase()} [${(e.values ?? []).join(', ')}]`);
      t.field(`Term ${i}`, exprs.join(', '), 4);
    });
  }
  t.field('Message', pv.status?.message ?? '');
  t.line('Source:');
  if (pv.spec.local) t.field('Type', 'LocalVolume (a persistent volume backed by local storage on a node)', 4).field('Path', pv.spec.local.path, 4);
  else if (pv.spec.hostPath) t.field('Type', 'HostPath (bare host directory volume)', 4).field('Path', pv.spec.hostPath.path, 4).field('HostPathType', pv.spec.hostPath.type ?? '', 4);
  eventsSection(t, events, now);
  return t.toString();
}

export function describeStorageClass(sc: StorageClass, events: EventObject[], now: number): string {
  const t = new Text();
  t.field('Name', sc.metadata.name)
    .field('IsDefaultClass', sc.metadata.annotations?.[ANNOTATION_DEFAULT_STORAGE_CLASS] === 'true' ? 'Yes' : 'No')
    .map('Annotations', shownAnnotations(sc))
    .field('Provisioner', sc.provisioner)
    .map('Parameters', sc.parameters)
    .field('AllowVolumeExpansion', sc.allowVolumeExpansion ? 'True' : 'False')
    .field('MountOptions', '<none>')
    .field('ReclaimPolicy', sc.reclaimPolicy ?? 'Delete')
    .field('VolumeBindingMode', sc.volumeBindingMode ?? 'Immediate');
  eventsSection(t, events, now);
  return t.toString();
}
