/**
 * Image garbage collection on the device, as the kubelet's image GC: every 5 minutes the image
 * filesystem's usage is read; at or above the high threshold (85 %) images no container uses are removed,
 * largest first (the runtimes do not say when an image was last used), until usage is at the low
 * threshold (80 %). An image a container of the node uses (running or not), or a desired pod names, is never removed.
 */
import { statfs } from 'node:fs/promises';
import type { Logger } from '../../protocol/logger.js';
import type { ContainerRuntime } from '../../runtime-adapters/runtime.js';

export const IMAGE_GC_HIGH_PERCENT = 85;
export const IMAGE_GC_LOW_PERCENT = 80;
export const IMAGE_GC_PERIOD_MS = 5 * 60_000;

export interface DiskUsage {
  totalBytes: number;
  freeBytes: number;
}

export interface ImageGcOptions {
  runtime: Pick<ContainerRuntime, 'listImages' | 'list' | 'deleteImage'>;
  logger: Logger;
  /** The image filesystem's size and free space (default: statfs of `path`). */
  diskUsage?: () => Promise<DiskUsage>;
  /** The filesystem the runtime keeps images on (containerd /var/lib/containerd, Docker /var/lib/docker). */
  path?: string;
  /** Images the desired pods name (kept even if no container uses them yet). */
  desiredImages?: () => Iterable<string>;
  highPercent?: number;
  lowPercent?: number;
}

export interface ImageGc {
  /** One check; returns what was removed. */
  run(): Promise<{ removed: string[]; freedBytes: number }>;
  start(periodMs?: number): void;
  stop(): void;
}

/** "busybox" and "docker.io/library/busybox:latest" are one image. */
export function canonicalImage(ref: string): string {
  let name = ref.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
  const last = name.slice(name.lastIndexOf('/') + 1);
  if (!last.includes(':') && !name.includes('@')) name = `${name}:latest`;
  return name;
}

export function createImageGc(opts: ImageGcOptions): ImageGc {
  const log = opts.logger.child({ component: 'image-gc' });
  const high = opts.highPercent ?? IMAGE_GC_HIGH_PERCENT;
  const low = opts.lowPercent ?? IMAGE_GC_LOW_PERCENT;
  const diskUsage =
    opts.diskUsage ??
    (async () => {
      const s = await statfs(opts.path ?? '/').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return statfs('/'); // a runtime kept elsewhere: the root filesystem
        throw err;
      });
      return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
    });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function run(): Promise<{ removed: string[]; freedBytes: number }> {
    const removed: string[] = [];
    let freedBytes = 0;
    const deleteImage = opts.runtime.deleteImage?.bind(opts.runtime);
    if (!deleteImage) return { removed, freedBytes };
    const usage = await diskUsage();
    const used = usage.totalBytes - usage.freeBytes;
    if (usage.totalBytes <= 0 || (used / usage.totalBytes) * 100 < high) return { removed, freedBytes };
    const toFree = used - (usage.totalBytes * low) / 100;
    const inUse = new Set<string>([...(opts.desiredImages?.() ?? [])].map(canonicalImage));
    for (const c of await opts.runtime.list()) inUse.add(canonicalImage(c.image));
    const candidates = (await opts.runtime.listImages())
      .filter((i) => !inUse.has(canonicalImage(i.name)))
      .sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0));
    log.info({ usedPercent: Math.round((used / usage.totalBytes) * 100), high, low, toFree, candidates: candidates.length }, 'image filesystem over the high threshold: removing unused images');
    for (const image of candidates) {
      if (freedBytes >= toFree) break;
      try {
        await deleteImage(image.name);
        removed.push(image.name);
        freedBytes += image.sizeBytes ?? 0;
      } catch (err) {
        log.warn({ err, image: image.name }, 'could not remove an unused image');
      }
    }
    if (freedBytes < toFree) log.warn({ freedBytes, toFree }, 'image GC could not free enough: every other image is in use');
    return { removed, freedBytes };
  }

  return {
    run,
    start(periodMs = IMAGE_GC_PERIOD_MS) {
      timer = setInterval(() => {
        if (running) return;
        running = run()
          .catch((err: unknown) => log.warn({ err }, 'image GC failed'))
          .finally(() => (running = undefined));
      }, periodMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
