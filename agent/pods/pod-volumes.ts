/**
 * The host side of a pod's volumes: emptyDirs are created under the data dir (and removed with the
 * pod), hostPaths are checked or created according to their `type`, as the kubelet does,
 * configMap/secret volumes are written as files (config-volume.ts) and kept up to date, and
 * persistentVolumeClaim volumes get their volume's directory (claim-volumes.ts).
 */
import type { Stats } from 'node:fs';
import { chmod, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod, Volume } from '../../protocol/objects/pod.js';
import { podNamespace, podUid } from '../desired-set.js';
import { writeConfigVolume } from './config-volume.js';
import { ContainerConfigError } from '../errors.js';
import { noConfig, type ConfigLookup } from './pod-config.js';
import { emptyDirPath, podDir } from './pod-runtime.js';
import { prepareClaimVolume } from './claim-volumes.js';
import { noClaimVolumes, type ClaimVolumeLookup } from '../local-volumes.js';

/**
 * Make every volume the pod's containers mount ready on the host. Throws ContainerConfigError.
 * Called on every sync of the pod, so a changed ConfigMap/Secret reaches its volume files.
 */
export async function preparePodVolumes(pod: Pod, dataDir: string, config: ConfigLookup = noConfig, claims: ClaimVolumeLookup = noClaimVolumes): Promise<void> {
  const mounted = new Set(pod.spec.containers.flatMap((c) => (c.volumeMounts ?? []).map((m) => m.name)));
  for (const volume of pod.spec.volumes ?? []) {
    if (!mounted.has(volume.name)) continue;
    if (volume.emptyDir) {
      const dir = emptyDirPath(dataDir, podUid(pod), volume.name);
      await mkdir(dir, { recursive: true });
      // world-writable like the kubelet's, so containers running as any user can use it
      await chmod(dir, 0o777);
    } else if (volume.hostPath) {
      await prepareHostPath(volume as Volume & { hostPath: NonNullable<Volume['hostPath']> });
    } else if (volume.configMap || volume.secret) {
      await writeConfigVolume(volume, podNamespace(pod), emptyDirPath(dataDir, podUid(pod), volume.name), config);
    } else if (volume.persistentVolumeClaim) {
      await prepareClaimVolume(volume, podNamespace(pod), dataDir, claims);
    }
  }
}

/** hostPath types that must already exist as this kind of file. */
const HOST_PATH_CHECKS: Record<string, { is: (info: Stats) => boolean; what: string }> = {
  Directory: { is: (i) => i.isDirectory(), what: 'directory' },
  File: { is: (i) => i.isFile(), what: 'file' },
  Socket: { is: (i) => i.isSocket(), what: 'socket' },
  CharDevice: { is: (i) => i.isCharacterDevice(), what: 'character device' },
  BlockDevice: { is: (i) => i.isBlockDevice(), what: 'block device' },
};

async function prepareHostPath(volume: Volume & { hostPath: NonNullable<Volume['hostPath']> }): Promise<void> {
  const { path, type = '' } = volume.hostPath;
  const fail = (what: string): never => {
    throw new ContainerConfigError(`volume "${volume.name}": hostPath ${path} ${what}`);
  };
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new ContainerConfigError(`volume "${volume.name}": cannot check hostPath ${path}: ${err.message}`, { cause: err });
  });
  switch (type) {
    case '':
    case 'DirectoryOrCreate':
      // '' performs no check in Kubernetes; Docker would create a missing path as a directory, and
      // containerd would refuse it: create it here so both runtimes behave the same.
      if (!info) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (type === 'DirectoryOrCreate' && !info.isDirectory()) fail('exists but is not a directory');
      return;
    case 'FileOrCreate':
      if (!info) await (await open(path, 'a', 0o644)).close();
      else if (!info.isFile()) fail('exists but is not a file');
      return;
  }
  const check = HOST_PATH_CHECKS[type];
  if (check && !(info && check.is(info))) fail(`is not an existing ${check.what}`);
}

/** Remove a pod's directory (its emptyDirs, configMap and secret files) once its containers are gone. */
export async function removePodDir(dataDir: string, uid: string): Promise<void> {
  await rm(podDir(dataDir, uid), { recursive: true, force: true });
}

/** The uids that still have a directory under the data dir. */
export async function listPodDirs(dataDir: string): Promise<string[]> {
  try {
    return await readdir(join(dataDir, 'pods'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
