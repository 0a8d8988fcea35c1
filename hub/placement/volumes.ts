/**
 * What scheduling and the volume controller share about claims and volumes (Kubernetes' volume
 * binding rules): the StorageView a snapshot offers, which claims a pod uses, whether a
 * PersistentVolume suits a claim, whether it can be used from a node (its nodeAffinity), the claim's
 * class (the default class when it names none), and how much of a node's disk local volumes have
 * been promised. Pure.
 */
import type { Node, Pod } from '../../protocol/index.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../protocol/objects/storage.js';
import { parseQuantity } from '../../protocol/quantity.js';
import { ANNOTATION_DEFAULT_STORAGE_CLASS, ANNOTATION_PROVISIONED_BY, LOCAL_PATH_PROVISIONER } from '../../protocol/well-known.js';
import { matchesSelector } from '../../protocol/labels.js';
import { matchesTerm } from './filters/node-selector.js';

/** The claims, volumes and classes a scheduling decision reads (from the informer cache, or plain objects in tests). */
export interface StorageView {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  volumes(): readonly PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
  storageClasses(): readonly StorageClass[];
}

/** A StorageView over lists of objects (tests, and callers holding objects already). */
export function storageViewFromObjects(claims: readonly PersistentVolumeClaim[], volumes: readonly PersistentVolume[], classes: readonly StorageClass[]): StorageView {
  return {
    claim: (namespace, name) => claims.find((c) => (c.metadata.namespace ?? 'default') === namespace && c.metadata.name === name),
    volume: (name) => volumes.find((v) => v.metadata.name === name),
    volumes: () => volumes,
    storageClass: (name) => classes.find((c) => c.metadata.name === name),
    storageClasses: () => classes,
  };
}

/** The claim names of the pod's persistentVolumeClaim volumes, deduplicated. */
export function podClaimNames(pod: Pod): string[] {
  return [...new Set((pod.spec.volumes ?? []).flatMap((v) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [])))];
}

/** The default StorageClass (annotated is-default-class "true"; the newest when several are, as Kubernetes picks). */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const defaults = classes.filter((c) => c.metadata.annotations?.[ANNOTATION_DEFAULT_STORAGE_CLASS] === 'true');
  return defaults.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''))[0];
}

/** The class a claim asks for: its storageClassName ("" = none), as the API defaulted it. */
export function claimClassName(claim: PersistentVolumeClaim): string {
  return claim.spec.storageClassName ?? '';
}

export function isBoundClaim(claim: PersistentVolumeClaim): boolean {
  return Boolean(claim.spec.volumeName);
}

export const requestedBytes = (claim: PersistentVolumeClaim): number => parseQuantity(claim.spec.resources.requests.storage);
export const capacityBytes = (pv: PersistentVolume): number => parseQuantity(pv.spec.capacity.storage);

/** Whether the volume can be used from `node`: no nodeAffinity (a hostPath volume anywhere), or one of its terms matches. */
export function volumeNodeMatches(pv: PersistentVolume, node: Node): boolean {
  const terms = pv.spec.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms) return true;
  return terms.some((t) => matchesTerm(t, node));
}

/**
 * Whether an unclaimed volume suits the claim, node aside (Kubernetes' findMatchingVolume): same class,
 * every access mode the claim asks for, enough capacity, the claim's selector, and either free or
 * pre-bound to this very claim.
 */
export function volumeSuitsClaim(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  if (pv.metadata.deletionTimestamp) return false;
  const ref = pv.spec.claimRef;
  if (ref?.name) {
    if (ref.name !== claim.metadata.name || (ref.namespace ?? 'default') !== (claim.metadata.namespace ?? 'default')) return false;
    if (ref.uid && claim.metadata.uid && ref.uid !== claim.metadata.uid) return false;
  } else if (pv.status?.phase && pv.status.phase !== 'Available' && pv.status.phase !== 'Pending') {
    return false;
  }
  if ((pv.spec.storageClassName ?? '') !== claimClassName(claim)) return false;
  if (!claim.spec.accessModes.every((m) => pv.spec.accessModes.includes(m))) return false;
  if (capacityBytes(pv) < requestedBytes(claim)) return false;
  if (claim.spec.selector && !matchesSelector(pv.metadata.labels, claim.spec.selector)) return false;
  return true;
}

/** The smallest suitable volume usable from `node` (any node when undefined), as Kubernetes picks the smallest fit. */
export function findMatchingVolume(claim: PersistentVolumeClaim, volumes: readonly PersistentVolume[], node?: Node): PersistentVolume | undefined {
  let best: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (!volumeSuitsClaim(pv, claim)) continue;
    if (node && !volumeNodeMatches(pv, node)) continue;
    // a volume pre-bound to this claim wins outright
    if (pv.spec.claimRef?.name) return pv;
    if (!best || capacityBytes(pv) < capacityBytes(best)) best = pv;
  }
  return best;
}

/** Whether the class is the built-in node-local provisioner's. */
export function isLocalPathClass(sc: StorageClass | undefined): boolean {
  return sc?.provisioner === LOCAL_PATH_PROVISIONER;
}

/** Bytes of the node's disk already promised to local-path volumes there (every such PV that names the node). */
export function promisedOnNode(volumes: readonly PersistentVolume[], node: Node, classes: (name: string) => StorageClass | undefined): number {
  let sum = 0;
  for (const pv of volumes) {
    if (!pv.spec.local || !pv.spec.nodeAffinity) continue;
    if (!isLocalPathClass(classes(pv.spec.storageClassName ?? '')) && !isProvisionedLocally(pv)) continue;
    if (volumeNodeMatches(pv, node)) sum += capacityBytes(pv);
  }
  return sum;
}

/**
 * Whether the node's disk can take a new local volume of `bytes`: no more than the disk's free space
 * now (capacity minus what the agent reports used), and, with what local volumes were promised there
 * already, no more than its allocatable ephemeral-storage. A node reporting no disk takes none.
 */
export function nodeDiskFits(node: Node, bytes: number, promised: number): boolean {
  const allocatable = node.status?.allocatable?.['ephemeral-storage'];
  if (allocatable === undefined) return false;
  const total = parseQuantity(allocatable);
  const capacity = parseQuantity(node.status?.capacity?.['ephemeral-storage'] ?? allocatable);
  const used = node.status?.usage?.diskUsedBytes;
  const free = used === undefined ? total : capacity - used;
  return bytes <= free && promised + bytes <= total;
}

/** Whether the local-path provisioner made the volume (only those are deleted by the Delete policy, and kept under the agent's volume dir). */
export function isProvisionedLocally(pv: PersistentVolume): boolean {
  return pv.metadata.annotations?.[ANNOTATION_PROVISIONED_BY] === LOCAL_PATH_PROVISIONER;
}
