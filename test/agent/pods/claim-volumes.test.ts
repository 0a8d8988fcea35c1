import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClaimVolume } from '../../../protocol/messages.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { preparePodVolumes } from '../../../agent/pods/pod-volumes.js';
import { toContainerSpec } from '../../../agent/pods/pod-runtime.js';
import { claimVolumeLookupFrom, deleteManagedVolume, localVolumeDir } from '../../../agent/local-volumes.js';
import { ContainerConfigError, VolumeInUseError } from '../../../agent/errors.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'drover-claims-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const pod = (claimName: string, readOnly?: boolean): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default', uid: 'u1' },
  spec: {
    containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'd', mountPath: '/data' }] }],
    volumes: [{ name: 'd', persistentVolumeClaim: { claimName, ...(readOnly ? { readOnly } : {}) } }],
  },
});

describe('persistentVolumeClaim volumes on the agent', () => {
  it('creates a managed volume under <data dir>/volumes on first use, keeps its data, and bind-mounts it', async () => {
    const volumes: ClaimVolume[] = [{ namespace: 'default', claim: 'data', volume: 'pvc-1', path: '/elsewhere/pvc-1', managed: true }];
    const claims = claimVolumeLookupFrom(() => volumes);
    await preparePodVolumes(pod('data'), dataDir, undefined, claims);
    const dir = join(localVolumeDir(dataDir), 'pvc-1');
    expect((await stat(dir)).isDirectory()).toBe(true);
    expect((await stat(dir)).mode & 0o777).toBe(0o777);
    await writeFile(join(dir, 'f'), 'kept');
    await preparePodVolumes(pod('data'), dataDir, undefined, claims);
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('kept');
    const spec = toContainerSpec(pod('data', true), pod('data').spec.containers[0]!, { nodeName: 'n', dataDir, claims });
    expect(spec.mounts).toContainEqual({ hostPath: dir, containerPath: '/data', readOnly: true });
  });

  it('an unbound claim or a missing local directory is a CreateContainerConfigError naming them', async () => {
    await expect(preparePodVolumes(pod('data'), dataDir, undefined, claimVolumeLookupFrom(() => []))).rejects.toThrow(
      new ContainerConfigError('volume "d": persistentvolumeclaim "data" is not bound to a volume on this node'),
    );
    const local = [{ namespace: 'default', claim: 'data', volume: 'admin', path: join(dataDir, 'missing') }];
    await expect(preparePodVolumes(pod('data'), dataDir, undefined, claimVolumeLookupFrom(() => local))).rejects.toThrow(/does not exist on this node/);
    const hostPath = [{ namespace: 'default', claim: 'data', volume: 'admin', path: join(dataDir, 'made'), hostPathType: 'DirectoryOrCreate' as const }];
    await preparePodVolumes(pod('data'), dataDir, undefined, claimVolumeLookupFrom(() => hostPath));
    expect((await stat(join(dataDir, 'made'))).isDirectory()).toBe(true);
  });

  it('deletes a released managed volume, never one still mounted, never outside the volume dir', async () => {
    const dir = join(localVolumeDir(dataDir), 'pvc-2');
    await preparePodVolumes(pod('data'), dataDir, undefined, claimVolumeLookupFrom(() => [{ namespace: 'default', claim: 'data', volume: 'pvc-2', path: dir, managed: true }]));
    await expect(deleteManagedVolume(dataDir, 'pvc-2', [{ namespace: 'default', claim: 'data', volume: 'pvc-2', path: dir, managed: true }])).rejects.toBeInstanceOf(VolumeInUseError);
    expect((await stat(dir)).isDirectory()).toBe(true);
    await expect(deleteManagedVolume(dataDir, '../../etc', [])).rejects.toThrow('is not a PersistentVolume name');
    expect(await deleteManagedVolume(dataDir, 'pvc-2', [])).toBe(dir);
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
