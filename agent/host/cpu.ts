import * as si from './systeminformation.js';
import { fingerprinter, type Fingerprinter } from './fingerprinter.js';

export interface CpuFacts {
  /** Logical cores. */
  cores: number;
  model: string;
  /** Load over all cores since the previous collection, 0-100. */
  loadPercent: number;
}

/** CPU cores and model (read once) and current load (every period). */
export function createCpuFingerprinter(opts: { periodMs?: number } = {}): Fingerprinter<CpuFacts> {
  let staticFacts: Promise<{ cores: number; model: string }> | undefined;
  return fingerprinter('cpu', opts.periodMs ?? 5_000, async () => {
    staticFacts ??= si.cpu().then((c) => ({
      cores: c.cores || c.physicalCores || 1,
      model: [c.manufacturer, c.brand].filter(Boolean).join(' ').trim() || 'unknown',
    }));
    const [s, load] = await Promise.all([staticFacts, si.currentLoad()]);
    return { ...s, loadPercent: Math.round(load.currentLoad * 10) / 10 };
  });
}
