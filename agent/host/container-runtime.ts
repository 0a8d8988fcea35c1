import type { ContainerRuntime, ImageInfo } from '../../runtime-adapters/runtime.js';
import { fingerprinter, type Fingerprinter } from './fingerprinter.js';

export interface RuntimeFacts {
  /** e.g. "docker://24.0.5" or "containerd://1.6.20". */
  version: string;
  /** Local images, with their size and platforms where the runtime knows them. */
  images: ImageInfo[];
}

export function createRuntimeFingerprinter(opts: { runtime: ContainerRuntime; periodMs?: number }): Fingerprinter<RuntimeFacts> {
  return fingerprinter('runtime', opts.periodMs ?? 30_000, async () => {
    const [version, images] = await Promise.all([opts.runtime.version(), opts.runtime.listImages()]);
    return { version, images };
  });
}
