import type { Node, Pod } from '../../../protocol/index.js';
import type { FilterResult } from './filter.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../protocol/objects/storage.js';
import { ANNOTATION_SELECTED_NODE } from '../../../protocol/well-known.js';
import type { ClusterSnapshot } from '../snapshot.js';
import { claimClassName, findMatchingVolume, isLocalPathClass, nodeDiskFits, podClaimNames, promisedOnNode, requestedBytes, volumeNodeMatches, type StorageView } from '../volumes.js';
import { FITS, SKIP, unfit, type NodeFilter } from './filter.js';

export const VOLUME_NODE_AFFINITY_CONFLICT_REASON = 'node(s) had volume node affinity conflict';
export const NO_VOLUME_TO_BIND_REASON = "node(s) didn't find available persistent volumes to bind";
export const NOT_ENOUGH_STORAGE_REASON = 'node(s) did not have enough free storage';
export const SELECTED_NODE_CONFLICT_REASON = "node(s) didn't match the node selected for the pod's volumes";
export const UNBOUND_IMMEDIATE_REASON = 'pod has unbound immediate PersistentVolumeClaims';

/** A claim still to bind when the pod is placed (WaitForFirstConsumer). */
export interface UnboundClaim {
  claim: PersistentVolumeClaim;
  storageClass: StorageClass;
  /** volume.kubernetes.io/selected-node, when a node was chosen already. */
  selectedNode?: string;
}

/** What the pod's claims need of a node, worked out once per pod (Kubernetes' VolumeBinding PreFilter). */
export interface VolumeBindingState {
  /** A reason every node fails for (a claim missing, being deleted, unbound in an Immediate class). */
  error?: string;
  bound: PersistentVolume[];
  unbound: UnboundClaim[];
}

/** The pod's claims sorted into bound and to-bind, or the reason the pod cannot be placed at all. */
export function podVolumeState(pod: Pod, storage: StorageView | undefined): VolumeBindingState {
  const namespace = pod.metadata.namespace ?? 'default';
  const state: VolumeBindingState = { bound: [], unbound: [] };
  for (const name of podClaimNames(pod)) {
    const claim = storage?.claim(namespace, name);
    if (!claim) return { ...state, error: `persistentvolumeclaim "${name}" not found` };
    if (claim.metadata.deletionTimestamp) return { ...state, error: `persistentvolumeclaim "${name}" is being deleted` };
    if (claim.spec.volumeName) {
      const pv = storage!.volume(claim.spec.volumeName);
      if (!pv) return { ...state, error: `persistentvolume "${claim.spec.volumeName}" of claim "${name}" not found` };
      state.bound.push(pv);
      continue;
    }
    const className = claimClassName(claim);
    const sc = className ? storage!.storageClass(className) : undefined;
    if (className && !sc) return { ...state, error: `storageclass.storage.k8s.io "${className}" not found` };
    if (!sc || (sc.volumeBindingMode ?? 'Immediate') === 'Immediate') return { ...state, error: UNBOUND_IMMEDIATE_REASON };
    const selectedNode = claim.metadata.annotations?.[ANNOTATION_SELECTED_NODE];
    state.unbound.push({ claim, storageClass: sc, ...(selectedNode ? { selectedNode } : {}) });
  }
  return state;
}

/**
 * Kubernetes' VolumeBinding filter: a pod whose claims are bound goes where their volumes are (the
 * PersistentVolume's nodeAffinity); a claim waiting for its first consumer (WaitForFirstConsumer) can
 * be bound on a node that has a suitable free volume, or, in the local-path class, whose disk has room
 * for a new one (free space now, and what local volumes were promised there). Pods without claims skip it.
 */
export const volumeBinding: NodeFilter<VolumeBindingState | typeof SKIP> = {
  name: 'VolumeBinding',
  preFilter: (pod, snapshot) => (podClaimNames(pod).length === 0 ? SKIP : podVolumeState(pod, snapshot.storage)),
  filter(pod, node, snapshot, given) {
    const state = given === undefined ? volumeBinding.preFilter!(pod, snapshot) : given;
    if (state === SKIP) return FITS;
    if (state.error) return unfit(state.error);
    for (const pv of state.bound) {
      if (!volumeNodeMatches(pv, node)) return unfit(VOLUME_NODE_AFFINITY_CONFLICT_REASON);
    }
    return unboundClaimsFit(state.unbound, node, snapshot);
  },
};

function unboundClaimsFit(unbound: readonly UnboundClaim[], node: Node, snapshot: ClusterSnapshot): FilterResult {
  if (unbound.length === 0) return FITS;
  const storage = snapshot.storage!;
  const taken = new Set<string>();
  let provisioned = 0;
  for (const u of unbound) {
    if (u.selectedNode !== undefined && u.selectedNode !== node.metadata.name) return unfit(SELECTED_NODE_CONFLICT_REASON);
    const free = storage.volumes().filter((pv) => !taken.has(pv.metadata.name));
    const pv = findMatchingVolume(u.claim, free, node);
    if (pv) {
      taken.add(pv.metadata.name);
      continue;
    }
    if (!isLocalPathClass(u.storageClass)) return unfit(NO_VOLUME_TO_BIND_REASON);
    const bytes = requestedBytes(u.claim);
    const promised = promisedOnNode(storage.volumes(), node, (n) => storage.storageClass(n)) + provisioned;
    if (!nodeDiskFits(node, bytes, promised)) return unfit(NOT_ENOUGH_STORAGE_REASON);
    provisioned += bytes;
  }
  return FITS;
}
