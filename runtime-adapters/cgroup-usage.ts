/**
 * A container's CPU time and memory working set from its cgroup, as cAdvisor reads them for the
 * kubelet: cgroup v2 (`/sys/fs/cgroup` unified: `cpu.stat` usage_usec, `memory.current` less
 * `inactive_file` of `memory.stat`) or v1 (`cpuacct/…/cpuacct.usage` in ns, `memory/…/memory.usage_in_bytes`
 * less `total_inactive_file`). Which cgroup a container is in is its adapter's to say
 * (`ContainerRuntime.cgroupPaths`: Docker's `docker/ID` with the cgroupfs driver or
 * `system.slice/docker-ID.scope` with systemd, containerd's `NAMESPACE/ID` as ctr makes it); the first
 * candidate that exists is read. Two or three small file reads per container, no runtime CLI call.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

export interface CgroupUsage {
  /** Cumulative CPU time of the cgroup, nanoseconds. */
  cpuUsageNanos: number;
  /** Memory in use less inactive file cache (the working set `kubectl top` shows), bytes. */
  memoryWorkingSetBytes: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function readNumber(path: string): Promise<number | undefined> {
  try {
    const n = Number((await readFile(path, 'utf8')).trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** `key value` lines (cpu.stat, memory.stat) into a map. */
export function parseFlatKeyed(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && Number.isFinite(Number(value))) out.set(key, Number(value));
  }
  return out;
}

async function readKeyed(path: string): Promise<Map<string, number> | undefined> {
  try {
    return parseFlatKeyed(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

export type CgroupLayout = 'v2' | 'v1';

/** v2 when the root is the unified hierarchy (it has cgroup.controllers), else v1's per-controller mounts. */
export async function cgroupLayout(root = DEFAULT_CGROUP_ROOT): Promise<CgroupLayout> {
  return (await exists(join(root, 'cgroup.controllers'))) ? 'v2' : 'v1';
}

async function readV2(root: string, path: string): Promise<CgroupUsage | undefined> {
  const dir = join(root, path);
  const cpu = await readKeyed(join(dir, 'cpu.stat'));
  const memory = await readNumber(join(dir, 'memory.current'));
  if (!cpu || memory === undefined) return undefined;
  const inactive = (await readKeyed(join(dir, 'memory.stat')))?.get('inactive_file') ?? 0;
  return { cpuUsageNanos: (cpu.get('usage_usec') ?? 0) * 1000, memoryWorkingSetBytes: Math.max(0, memory - inactive) };
}

async function readV1(root: string, path: string): Promise<CgroupUsage | undefined> {
  let cpu: number | undefined;
  for (const controller of ['cpuacct', 'cpu,cpuacct', 'cpuacct,cpu']) {
    cpu = await readNumber(join(root, controller, path, 'cpuacct.usage'));
    if (cpu !== undefined) break;
  }
  const memory = await readNumber(join(root, 'memory', path, 'memory.usage_in_bytes'));
  if (cpu === undefined || memory === undefined) return undefined;
  const inactive = (await readKeyed(join(root, 'memory', path, 'memory.stat')))?.get('total_inactive_file') ?? 0;
  return { cpuUsageNanos: cpu, memoryWorkingSetBytes: Math.max(0, memory - inactive) };
}

/** The usage of the first candidate cgroup path (relative to the root) that can be read; undefined if none. */
export async function readCgroupUsage(candidates: readonly string[], opts: { root?: string; layout?: CgroupLayout } = {}): Promise<CgroupUsage | undefined> {
  const root = opts.root ?? DEFAULT_CGROUP_ROOT;
  const layout = opts.layout ?? (await cgroupLayout(root));
  for (const path of candidates) {
    const usage = layout === 'v2' ? await readV2(root, path) : await readV1(root, path);
    if (usage) return usage;
  }
  return undefined;
}
