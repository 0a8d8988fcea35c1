/**
 * A pod's persistentVolumeClaim volumes on this node: the desired set names each claim's volume and
 * where it is (hub/fleet/desired-volumes.ts). A managed (local-path) volume is the agent's own
 * directory `<data dir>/volumes/<volume>`, created on first use, world-writable as the local-path
 * provisioner makes it, and kept across pod restarts, agent restarts and reboots until the hub asks
 * for it to be deleted; an admin's `local` volume must exist as a directory; a `hostPath` volume is
 * checked or created by its type, as a pod's hostPath volume.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import type { ClaimVolume } from '../../protocol/messages.js';
import type { Volume } from '../../protocol/objects/pod.js';
import { ContainerConfigError } from '../errors.js';
import { managedVolumePath, type ClaimVolumeLookup } from '../local-volumes.js';

/** The claim's volume, or the kubelet-like error for a claim the hub has not bound for this node. */
export function claimVolumeOf(volume: Volume, namespace: string, lookup: ClaimVolumeLookup): ClaimVolume {
  const claim = volume.persistentVolumeClaim!.claimName;
  const found = lookup(namespace, claim);
  if (!found) throw new ContainerConfigError(`volume "${volume.name}": persistentvolumeclaim "${claim}" is not bound to a volume on this node`);
  return found;
}

/** Where the claim's data is on the host. */
export function claimVolumePath(cv: ClaimVolume, dataDir: string): string {
  return cv.managed ? managedVolumePath(dataDir, cv.volume) : cv.path;
}

/** Make the claim's directory ready before its pod's containers are created. Throws ContainerConfigError. */
export async function prepareClaimVolume(volume: Volume, namespace: string, dataDir: string, lookup: ClaimVolumeLookup): Promise<string> {
  const cv = claimVolumeOf(volume, namespace, lookup);
  const path = claimVolumePath(cv, dataDir);
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new ContainerConfigError(`volume "${volume.name}": cannot check ${path} of volume ${cv.volume}: ${err.message}`, { cause: err });
  });
  if (info && !info.isDirectory()) throw new ContainerConfigError(`volume "${volume.name}": ${path} of volume ${cv.volume} exists but is not a directory`);
  if (info) return path;
  if (cv.managed) {
    await mkdir(path, { recursive: true });
    await chmod(path, 0o777);
    return path;
  }
  if (cv.hostPathType === '' || cv.hostPathType === 'DirectoryOrCreate') {
    await mkdir(path, { recursive: true, mode: 0o755 });
    return path;
  }
  throw new ContainerConfigError(`volume "${volume.name}": ${path} of volume ${cv.volume} does not exist on this node (a local volume's directory must be made by its admin)`);
}
