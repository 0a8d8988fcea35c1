/**
 * Small readers of Linux's /proc and /etc files for the fingerprinters: what systeminformation would
 * tell, without loading it (about 10 MiB of RSS in the agent) or spawning commands. Each returns
 * undefined when its source is missing (not Linux, a stripped container), so the caller can fall back.
 */
import { readFile } from 'node:fs/promises';

/** A file's text, or undefined when it does not exist or cannot be read. Other errors are thrown. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') return undefined;
    throw err;
  }
}

/** MemTotal, MemAvailable and MemFree of /proc/meminfo text, in bytes. */
export function parseMeminfo(text: string): { totalBytes?: number; availableBytes?: number; freeBytes?: number } {
  const kib = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  return { totalBytes: kib('MemTotal'), availableBytes: kib('MemAvailable'), freeBytes: kib('MemFree') };
}

/** The interface of the default IPv4 route (destination 0.0.0.0, lowest metric) in /proc/net/route text. */
export function defaultRouteInterface(routeTable: string): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of routeTable.split('\n').slice(1)) {
    const [iface, destination, , flags, , , metric, mask] = line.trim().split(/\s+/);
    if (!iface || destination !== '00000000' || mask !== '00000000') continue;
    if ((parseInt(flags ?? '0', 16) & 0x1) === 0) continue; // RTF_UP
    const m = Number(metric ?? 0);
    if (!best || m < best.metric) best = { iface, metric: m };
  }
  return best?.iface;
}

/** The first non-empty machine id (32 hex digits) of the usual files: systemd's, then D-Bus's. */
export async function machineId(paths = ['/etc/machine-id', '/var/lib/dbus/machine-id']): Promise<string | undefined> {
  for (const path of paths) {
    const id = (await readOptional(path))?.trim().toLowerCase();
    if (id && /^[0-9a-f]{32}$/.test(id)) return id;
  }
  return undefined;
}

/**
 * A CPU model from /proc/cpuinfo text where libuv found none (ARM boards): "model name", else the board's
 * "Model" (e.g. "Raspberry Pi 4 Model B Rev 1.4"), else "Hardware".
 */
export function cpuinfoModel(cpuinfo: string): string | undefined {
  for (const key of ['model name', 'Model', 'Hardware']) {
    const m = new RegExp(`^${key}\\s*:\\s*(.+)$`, 'm').exec(cpuinfo);
    const value = m?.[1]?.trim();
    if (value) return value;
  }
  return undefined;
}
