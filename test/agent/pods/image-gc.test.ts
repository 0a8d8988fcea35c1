/**
 * The device's image GC, as the kubelet's: nothing below the high threshold; above it, unused images go,
 * largest first, until the low threshold; an image any container uses is never removed.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { canonicalImage, createImageGc } from '../../../agent/pods/image-gc.js';
import type { ContainerInfo, ImageInfo } from '../../../runtime-adapters/runtime.js';

const MB = 1_000_000;

function setup(usedMb: number) {
  const images: ImageInfo[] = [
    { name: 'docker.io/library/used:1', sizeBytes: 50 * MB },
    { name: 'docker.io/library/big:1', sizeBytes: 30 * MB },
    { name: 'docker.io/library/small:1', sizeBytes: 5 * MB },
    { name: 'docker.io/library/medium:1', sizeBytes: 10 * MB },
  ];
  let used = usedMb * MB;
  const removed: string[] = [];
  const runtime = {
    listImages: async () => images.filter((i) => !removed.includes(i.name)),
    list: async () => [{ id: 'c1', name: 'c1', image: 'used:1', labels: {}, state: 'exited' } as ContainerInfo],
    deleteImage: async (name: string) => {
      removed.push(name);
      used -= images.find((i) => i.name === name)!.sizeBytes!;
    },
  };
  const gc = createImageGc({ runtime, logger: silentLogger(), diskUsage: async () => ({ totalBytes: 100 * MB, freeBytes: 100 * MB - used }) });
  return { gc, removed };
}

describe('image GC', () => {
  it('does nothing below the high threshold', async () => {
    const { gc, removed } = setup(84);
    expect(await gc.run()).toEqual({ removed: [], freedBytes: 0 });
    expect(removed).toEqual([]);
  });

  it('removes unused images, largest first, down to the low threshold, never one a container uses', async () => {
    const { gc, removed } = setup(90);
    const result = await gc.run();
    expect(removed).toEqual(['docker.io/library/big:1']); // 30 MB frees more than the 10 MB needed
    expect(result.freedBytes).toBe(30 * MB);
    const { gc: gc2, removed: removed2 } = setup(99);
    await gc2.run();
    expect(removed2).not.toContain('docker.io/library/used:1');
  });

  it('reads short and full names as one image', () => {
    expect(canonicalImage('busybox')).toBe(canonicalImage('docker.io/library/busybox:latest'));
    expect(canonicalImage('me/app:1')).toBe('me/app:1');
  });
});
