import * as si from './systeminformation.js';
import { fingerprinter, type Fingerprinter } from './fingerprinter.js';

export interface MemoryFacts {
  totalBytes: number;
  /** In use by processes: total minus what the kernel can hand out (free + reclaimable cache). */
  usedBytes: number;
  availableBytes: number;
}

export function createMemoryFingerprinter(opts: { periodMs?: number } = {}): Fingerprinter<MemoryFacts> {
  return fingerprinter('memory', opts.periodMs ?? 5_000, async () => {
    const m = await si.mem();
    const available = m.available || m.free;
    return { totalBytes: m.total, usedBytes: Math.max(0, m.total - available), availableBytes: available };
  });
}
