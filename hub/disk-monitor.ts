/**
 * Watches the free space of the hub's data dir, so that /readyz says DiskPressure before SQLite
 * starts refusing writes (a write that fails for a full disk is already a clear 500 "disk full").
 */
import { statfs } from 'node:fs/promises';
import type { Logger } from '../protocol/logger.js';

export interface DiskState {
  pressure: boolean;
  freeBytes: number;
  totalBytes: number;
  message: string;
}

export interface DiskMonitor {
  state(): DiskState;
  /** Read the filesystem now (also done every intervalMs). */
  check(): Promise<DiskState>;
  stop(): void;
}

export interface DiskMonitorOptions {
  path: string;
  logger: Logger;
  /** Pressure below this many free bytes (default 64 MiB) ... */
  minFreeBytes?: number;
  /** ... or below this share of the filesystem (default 1%). */
  minFreeRatio?: number;
  intervalMs?: number;
}

export async function createDiskMonitor(opts: DiskMonitorOptions): Promise<DiskMonitor> {
  const log = opts.logger;
  const minFreeBytes = opts.minFreeBytes ?? 64 * 2 ** 20;
  const minFreeRatio = opts.minFreeRatio ?? 0.01;
  let current: DiskState = { pressure: false, freeBytes: 0, totalBytes: 0, message: 'not checked yet' };

  async function check(): Promise<DiskState> {
    try {
      const s = await statfs(opts.path);
      const freeBytes = s.bavail * s.bsize;
      const totalBytes = s.blocks * s.bsize;
      const pressure = freeBytes < minFreeBytes || (totalBytes > 0 && freeBytes / totalBytes < minFreeRatio);
      const message = `${Math.floor(freeBytes / 2 ** 20)} MiB free of ${Math.floor(totalBytes / 2 ** 20)} MiB in ${opts.path}`;
      if (pressure !== current.pressure) {
        if (pressure) log.warn({ freeBytes, totalBytes, path: opts.path }, 'hub data dir is nearly full: DiskPressure');
        else log.info({ freeBytes, totalBytes, path: opts.path }, 'hub data dir has room again');
      }
      current = { pressure, freeBytes, totalBytes, message };
    } catch (err) {
      log.error({ err, path: opts.path }, 'cannot read the free space of the hub data dir');
      current = { ...current, message: `cannot read free space: ${(err as Error).message}` };
    }
    return current;
  }

  await check();
  const timer = setInterval(() => void check(), opts.intervalMs ?? 5000);
  timer.unref();
  return { state: () => current, check, stop: () => clearInterval(timer) };
}
