/** The hub's NODE_OPTIONS for the scale bench, and its heap snapshots (SCALE_HEAP_SNAPSHOT=1). */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { round, waitUntil } from '../scale-support.js';
import { env, TIMEOUT_MS, HEAP_SNAPSHOT, CPU_PROFILE } from './config.js';
import type { Fleet } from './fleet.js';

/** NODE_OPTIONS for the hub: SCALE_HUB_NODE_OPTIONS, and the heap-snapshot signal with SCALE_HEAP_SNAPSHOT=1. */
export function hubNodeOptions(dir: string): string {
  const opts = [env.SCALE_HUB_NODE_OPTIONS ?? ''];
  if (HEAP_SNAPSHOT) opts.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`);
  if (CPU_PROFILE) opts.push(`--import=${pathToFileURL(join(import.meta.dirname, 'cpu-profile-hook.mjs')).href}`);
  return opts.filter(Boolean).join(' ');
}

/** With SCALE_HEAP_SNAPSHOT=1: have the hub write a heap snapshot, wait until it is complete, rename it after `label`. */
export async function heapSnapshot(f: Fleet, label: string): Promise<void> {
  if (!HEAP_SNAPSHOT) return;
  const { readdir, rename, stat } = await import('node:fs/promises');
  const before = new Set(await readdir(f.dir));
  process.kill(f.hub.pid, 'SIGUSR2');
  const t0 = performance.now();
  // the file appears at once and grows while V8 writes it; done when its size holds still for 3 s
  let last = -1;
  let still = 0;
  const file = await waitUntil(async () => {
    const name = (await readdir(f.dir)).find((n) => n.endsWith('.heapsnapshot') && !before.has(n));
    if (!name) return undefined;
    const size = (await stat(join(f.dir, name))).size;
    still = size === last && size > 0 ? still + 1 : 0;
    last = size;
    return still >= 3 ? name : undefined;
  }, TIMEOUT_MS, 1000);
  if (!file) return f.notReached(`heap snapshot (${label})`, `${last} bytes written`);
  const target = join(f.dir, `hub-${label}.heapsnapshot`);
  await rename(join(f.dir, file), target);
  f.record(`heap snapshot (${label})`, round(last / 2 ** 20), 'MiB', `${target}, written in ${round((performance.now() - t0) / 1000)} s`);
}
