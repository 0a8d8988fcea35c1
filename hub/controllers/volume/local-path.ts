/**
 * The built-in node-local provisioner (as K3s' local-path-provisioner): the default StorageClass
 * `local-path` (WaitForFirstConsumer, Delete), and the PersistentVolume it makes for a claim on the
 * node its first pod was placed on: a `local` volume at `<agent data dir>/volumes/<pv name>` (the
 * directory the node reports, `drover.io/local-volume-dir`), pinned to the node by its nodeAffinity.
 * The agent creates the directory when a pod first mounts it and removes it when the hub asks
 * (Delete reclaim). Pure.
 */
import type { Node } from '../../../protocol/objects/node.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../protocol/objects/storage.js';
import {
  ANNOTATION_DEFAULT_STORAGE_CLASS,
  ANNOTATION_LOCAL_VOLUME_DIR,
  ANNOTATION_PROVISIONED_BY,
  LABEL_HOSTNAME,
  LOCAL_PATH_PROVISIONER,
  LOCAL_PATH_STORAGE_CLASS,
} from '../../../protocol/well-known.js';

/** The StorageClass the hub creates when none of its name exists (the cluster's default, as K3s ships it). */
export function defaultLocalPathClass(): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: LOCAL_PATH_STORAGE_CLASS, annotations: { [ANNOTATION_DEFAULT_STORAGE_CLASS]: 'true' } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
    allowVolumeExpansion: false,
  };
}

/** The name of a provisioned volume: `pvc-<claim uid>`, as Kubernetes' provisioners name theirs. */
export function provisionedVolumeName(claim: PersistentVolumeClaim): string {
  return `pvc-${claim.metadata.uid ?? claim.metadata.name}`;
}

/** The node's local volume directory, or undefined when its agent does not report one (an older agent). */
export function nodeVolumeDir(node: Node): string | undefined {
  return node.metadata.annotations?.[ANNOTATION_LOCAL_VOLUME_DIR];
}

/** The PersistentVolume for `claim` on `node`, already claimed by it (claimRef with its uid). */
export function provisionVolume(claim: PersistentVolumeClaim, sc: StorageClass, node: Node, volumeDir: string): PersistentVolume {
  const name = provisionedVolumeName(claim);
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, annotations: { [ANNOTATION_PROVISIONED_BY]: LOCAL_PATH_PROVISIONER } },
    spec: {
      capacity: { storage: claim.spec.resources.requests.storage },
      accessModes: [...claim.spec.accessModes],
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? 'Delete',
      storageClassName: sc.metadata.name,
      volumeMode: 'Filesystem',
      claimRef: {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        namespace: claim.metadata.namespace ?? 'default',
        name: claim.metadata.name,
        ...(claim.metadata.uid ? { uid: claim.metadata.uid } : {}),
      },
      local: { path: `${volumeDir.replace(/\/+$/, '')}/${name}` },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: LABEL_HOSTNAME, operator: 'In', values: [node.metadata.name] }] }] } },
    },
  };
}

/** The one node a local volume's nodeAffinity names (`kubernetes.io/hostname In [node]`), if it names one. */
export function volumeNodeName(pv: PersistentVolume): string | undefined {
  for (const term of pv.spec.nodeAffinity?.required?.nodeSelectorTerms ?? []) {
    for (const req of term.matchExpressions ?? []) {
      if (req.key === LABEL_HOSTNAME && req.operator === 'In' && req.values?.length === 1) return req.values[0];
    }
    for (const req of term.matchFields ?? []) {
      if (req.key === 'metadata.name' && req.operator === 'In' && req.values?.length === 1) return req.values[0];
    }
  }
  return undefined;
}
