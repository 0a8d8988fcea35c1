import { freemem, totalmem } from 'node:os';
import type { Fingerprinter } from './fingerprinter.js';
import { parseMeminfo, readOptional } from './linux-proc.js';

export interface MemoryFacts {
  totalBytes: number;
  /** In use by processes: total minus what the kernel can hand out (free + reclaimable cache). */
  usedBytes: number;
  availableBytes: number;
}

/** Memory from /proc/meminfo (MemAvailable counts reclaimable cache); os.totalmem/freemem where it is missing. */
export function createMemoryFingerprinter(opts: { periodMs?: number; meminfoPath?: string } = {}): Fingerprinter<MemoryFacts> {
  return {
    name: 'memory',
    periodMs: opts.periodMs ?? 5_000,
    async collect() {
      const text = await readOptional(opts.meminfoPath ?? '/proc/meminfo');
      const m = text ? parseMeminfo(text) : {};
      const total = m.totalBytes ?? totalmem();
      const available = Math.min(total, m.availableBytes ?? m.freeBytes ?? freemem());
      return { totalBytes: total, usedBytes: Math.max(0, total - available), availableBytes: available };
    },
  };
}
