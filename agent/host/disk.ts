import { statfs } from 'node:fs/promises';
import { fingerprinter, type Fingerprinter } from './fingerprinter.js';

export interface DiskFacts {
  /** The filesystem holding the agent's data dir (emptyDirs live there). */
  path: string;
  sizeBytes: number;
  usedBytes: number;
  /** Available to unprivileged users (what `df` calls Avail). */
  availableBytes: number;
}

/**
 * Size and use of the filesystem holding the data dir. statfs(2) on the directory itself rather than
 * systeminformation's fsSize(), which filters by device name, not by path, and parses `df`.
 */
export function createDiskFingerprinter(opts: { dataDir: string; periodMs?: number }): Fingerprinter<DiskFacts> {
  return fingerprinter('disk', opts.periodMs ?? 30_000, async () => {
    const s = await statfs(opts.dataDir);
    return {
      path: opts.dataDir,
      sizeBytes: s.blocks * s.bsize,
      usedBytes: (s.blocks - s.bfree) * s.bsize,
      availableBytes: s.bavail * s.bsize,
    };
  });
}
