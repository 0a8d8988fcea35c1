/**
 * Where the agent keeps local-path volumes, `<data dir>/volumes/<volume>` (K3s' local-path-provisioner
 * keeps them under /var/lib/rancher/k3s/storage): the pods loop creates a volume's directory when a pod
 * first mounts it, the link removes it when the hub asks (Delete reclaim policy). The directory
 * outlives pods and agent restarts; only that command removes it. Shared by pods/ and link/.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClaimVolume } from '../protocol/messages.js';
import { VolumeInUseError } from './errors.js';

/** The directory the agent reports to the hub (nodeStatus.volumeDir) and keeps its volumes in. */
export function localVolumeDir(dataDir: string): string {
  return join(dataDir, 'volumes');
}

const VOLUME_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** A managed volume's directory; the name is checked so that it stays one level under the volume dir. */
export function managedVolumePath(dataDir: string, volume: string): string {
  if (!VOLUME_NAME.test(volume) || volume.includes('..')) throw new Error(`"${volume}" is not a PersistentVolume name`);
  return join(localVolumeDir(dataDir), volume);
}

/** The claim's volume in the current desired set; undefined when the hub sent none (the claim is not bound for this node). */
export type ClaimVolumeLookup = (namespace: string, claim: string) => ClaimVolume | undefined;

export function claimVolumeLookupFrom(current: () => readonly ClaimVolume[] | undefined): ClaimVolumeLookup {
  return (namespace, claim) => current()?.find((v) => v.namespace === namespace && v.claim === claim);
}

export const noClaimVolumes: ClaimVolumeLookup = () => undefined;

/**
 * Remove a released managed volume's directory and its data. Refused while the desired set still
 * mounts it (`inUse` names the claims): the hub asks only once the claim is gone.
 */
export async function deleteManagedVolume(dataDir: string, volume: string, inUse: readonly ClaimVolume[]): Promise<string> {
  const users = inUse.filter((v) => v.volume === volume);
  if (users.length > 0) throw new VolumeInUseError(volume, users.map((u) => `${u.namespace}/${u.claim}`));
  const path = managedVolumePath(dataDir, volume);
  await rm(path, { recursive: true, force: true });
  return path;
}
