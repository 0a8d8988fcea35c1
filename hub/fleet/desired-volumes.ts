/**
 * The claims a desired set carries: those its pods mount, each with the volume it is bound to and
 * where that volume is on the node, never more (a node learns nothing of other nodes' volumes). A claim
 * not bound yet, or bound to a volume that does not name it back, is left out: the agent reports the
 * pod waiting for it. Pure, for tests.
 */
import type { ClaimVolume } from '../../protocol/messages.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../protocol/objects/storage.js';
import { isProvisionedLocally, podClaimNames } from '../placement/volumes.js';

export interface ClaimVolumeSource {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
}

/** `namespace/claim`: one string per claim, for sets and maps. */
export const claimRefKey = (namespace: string, claim: string): string => `${namespace}/${claim}`;

/** The claim volumes of `pods`, deduplicated, sorted by namespace/claim. */
export function claimVolumesFor(pods: readonly Pod[], source: ClaimVolumeSource): ClaimVolume[] {
  const out = new Map<string, ClaimVolume>();
  for (const pod of pods) {
    const namespace = pod.metadata.namespace ?? 'default';
    for (const name of podClaimNames(pod)) {
      const key = claimRefKey(namespace, name);
      if (out.has(key)) continue;
      const claim = source.claim(namespace, name);
      const volumeName = claim?.spec.volumeName;
      if (!claim || !volumeName) continue;
      const pv = source.volume(volumeName);
      const ref = pv?.spec.claimRef;
      if (!pv || ref?.name !== name || (ref.namespace ?? 'default') !== namespace) continue;
      const path = pv.spec.local?.path ?? pv.spec.hostPath?.path;
      if (!path) continue;
      out.set(key, {
        namespace,
        claim: name,
        volume: volumeName,
        path,
        ...(isProvisionedLocally(pv) ? { managed: true } : {}),
        ...(pv.spec.hostPath ? { hostPathType: pv.spec.hostPath.type ?? '' } : {}),
      });
    }
  }
  return [...out.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v);
}
