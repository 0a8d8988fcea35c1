import { cpus, type CpuInfo } from 'node:os';
import type { Fingerprinter } from './fingerprinter.js';
import { cpuinfoModel, readOptional } from './linux-proc.js';

export interface CpuFacts {
  /** Logical cores. */
  cores: number;
  model: string;
  /** Load over all cores since the previous collection, 0-100. */
  loadPercent: number;
}

interface CpuTimes {
  busy: number;
  total: number;
}

function sumTimes(list: CpuInfo[]): CpuTimes {
  let busy = 0;
  let idle = 0;
  for (const { times } of list) {
    busy += times.user + times.nice + times.sys + times.irq;
    idle += times.idle;
  }
  return { busy, total: busy + idle };
}

/** Busy share of the time between two samples, 0-100 with one decimal (0 when no time passed). */
export function loadBetween(previous: CpuTimes, current: CpuTimes): number {
  const total = current.total - previous.total;
  if (total <= 0) return 0;
  const percent = ((current.busy - previous.busy) / total) * 100;
  return Math.round(Math.min(100, Math.max(0, percent)) * 10) / 10;
}

/** The model libuv reports, else /proc/cpuinfo's model name or board model (ARM), else "unknown". */
async function cpuModel(list: CpuInfo[], cpuinfoPath: string): Promise<string> {
  const fromOs = list[0]?.model.replace(/\s+/g, ' ').trim();
  if (fromOs && fromOs.toLowerCase() !== 'unknown') return fromOs;
  const cpuinfo = await readOptional(cpuinfoPath);
  return (cpuinfo && cpuinfoModel(cpuinfo)) || 'unknown';
}

/**
 * CPU cores and model (read once) and the load since the previous collection (every period), from
 * os.cpus() times: no command is run and nothing beyond node:os is loaded.
 */
export function createCpuFingerprinter(opts: { periodMs?: number; cpuinfoPath?: string } = {}): Fingerprinter<CpuFacts> {
  let staticFacts: Promise<{ cores: number; model: string }> | undefined;
  let previous: CpuTimes = { busy: 0, total: 0 }; // the first load is the average since boot
  return {
    name: 'cpu',
    periodMs: opts.periodMs ?? 5_000,
    async collect() {
      const list = cpus();
      staticFacts ??= cpuModel(list, opts.cpuinfoPath ?? '/proc/cpuinfo').then((model) => ({ cores: list.length || 1, model }));
      const current = sumTimes(list);
      const loadPercent = loadBetween(previous, current);
      previous = current;
      return { ...(await staticFacts), loadPercent };
    },
  };
}
