import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../protocol/logger.js';
import { createSqliteStore, type SqliteStoreOptions } from '../../../hub/store/sqlite-store.js';
import type { Store, StoredObject, WatchEvent } from '../../../hub/store/store.js';

export async function tempDir(prefix = 'drover-store-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function openStore(dir: string, extra: Partial<SqliteStoreOptions> = {}): Promise<Store> {
  return createSqliteStore({ path: join(dir, 'state.db'), logger: silentLogger(), ...extra });
}

export function pod(name: string, extra: { namespace?: string; labels?: Record<string, string>; nodeName?: string; phase?: string } = {}): StoredObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: extra.namespace ?? 'default', ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: { containers: [{ name: 'c', image: 'drover.local/busybox:test' }], ...(extra.nodeName ? { nodeName: extra.nodeName } : {}) },
    ...(extra.phase ? { status: { phase: extra.phase } } : {}),
  };
}

/** Collect watch events; `next(n)` waits until at least n have arrived. */
export function collector(): { events: WatchEvent[]; handler: (e: WatchEvent) => void; next: (n: number) => Promise<WatchEvent[]> } {
  const events: WatchEvent[] = [];
  const waiters: Array<() => void> = [];
  return {
    events,
    handler: (e) => {
      events.push(e);
      for (const w of waiters.splice(0)) w();
    },
    next: async (n) => {
      const deadline = Date.now() + 10_000;
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} events, got ${events.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return events.slice(0, n);
    },
  };
}

/** Let queued microtasks and immediates run (watch delivery is asynchronous). */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));
