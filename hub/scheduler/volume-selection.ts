/**
 * The scheduler's part of binding WaitForFirstConsumer claims (kube-scheduler's VolumeBinding
 * PreBind, as far as the node goes): when a pod whose claims are not bound yet has a node, each such
 * claim is annotated `volume.kubernetes.io/selected-node: NODE`. The volume controller then binds it
 * there (a suitable free volume on the node, or a new local-path one), and the pod is bound once its
 * claims are (the filter keeps it on that node meanwhile), so no pod reaches an agent before its volume
 * exists.
 */
import type { PersistentVolumeClaim } from '../../protocol/objects/storage.js';
import { ANNOTATION_SELECTED_NODE } from '../../protocol/well-known.js';
import type { UnboundClaim } from '../placement/filters/volume-binding.js';
import type { Store } from '../store/store.js';
import { updateWithRetry } from '../store/update-with-retry.js';

/** Annotate each claim with the node chosen for its first consumer; claims annotated already are left. */
export async function selectNodeForClaims(store: Store, claims: readonly UnboundClaim[], node: string): Promise<void> {
  for (const { claim } of claims) {
    if (claim.metadata.annotations?.[ANNOTATION_SELECTED_NODE] === node) continue;
    await updateWithRetry<PersistentVolumeClaim>(store, { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace ?? 'default', name: claim.metadata.name }, (current) => {
      if (current.spec.volumeName || current.metadata.annotations?.[ANNOTATION_SELECTED_NODE]) return undefined;
      return { ...current, metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, [ANNOTATION_SELECTED_NODE]: node } } };
    });
  }
}
