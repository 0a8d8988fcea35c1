import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../protocol/index.js';
import { createSqliteStore } from '../../../hub/store/sqlite-store.js';
import type { Store } from '../../../hub/store/store.js';
import { createObjectCache, type ObjectCache } from '../../../hub/cache/object-cache.js';

/**
 * A real SQLite store in a fresh temp dir, and the informer cache over it (started, as hub.ts does);
 * `dispose` stops the cache, closes the store and removes the dir.
 */
export async function tempStore(prefix: string, clock?: () => number): Promise<{ store: Store; cache: ObjectCache; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const store = await createSqliteStore({ path: join(dir, 'state.db'), logger: silentLogger(), ...(clock ? { clock } : {}) });
  const cache = createObjectCache({ store, logger: silentLogger() });
  await cache.start();
  return {
    store,
    cache,
    dispose: async () => {
      cache.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Poll `check` until it returns a value that is not undefined, or fail after `timeoutMs`. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
