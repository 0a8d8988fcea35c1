import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RevisionCompactedError, StoreClosedError, StoreIOError } from '../../../hub/store/errors.js';
import type { Store } from '../../../hub/store/store.js';
import { collector, openStore, pod, tempDir } from './helpers.js';
import { describeStoreContract } from './store-contract.js';

const cleanups: Array<() => Promise<void>> = [];
describeStoreContract('SQLite', {
  async open(options) {
    const { dir, cleanup } = await tempDir();
    cleanups.push(cleanup);
    return openStore(dir, options);
  },
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('SQLite store: files, limits and lifecycle', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: Store;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = await openStore(dir);
  });
  afterEach(async () => {
    await store.close();
    await cleanup();
  });

  const podKey = (name: string, namespace = 'default') => ({ kind: 'Pod', namespace, name });

  describe('persistence', () => {
    it('objects and the revision survive a reopen; revisions are never reused after deletes and compaction', async () => {
      await store.close();
      store = await openStore(dir, { historyLimit: 2 });
      await store.create(pod('a'));
      await store.create(pod('b'));
      await store.create(pod('c'));
      await store.delete(podKey('c'));
      await store.delete(podKey('b'));
      expect(await store.revision()).toBe(5);
      await store.close();

      store = await openStore(dir, { historyLimit: 2 });
      expect(await store.revision()).toBe(5);
      expect((await store.list('Pod')).items.map((p) => p.metadata.name)).toEqual(['a']);
      const d = await store.create(pod('d'));
      expect(d.metadata.resourceVersion).toBe('6');
      expect(() => store.watch({ fromRevision: 3 }, () => undefined)).toThrow(RevisionCompactedError);
      const c = collector();
      const w = store.watch({ fromRevision: 4 }, c.handler);
      expect((await c.next(2)).map((e) => [e.type, e.object.metadata.name])).toEqual([
        ['DELETED', 'b'],
        ['ADDED', 'd'],
      ]);
      w.close();
    });
  });

  describe('errors and lifecycle', () => {
    it('a full disk surfaces as StoreIOError with the SQLite error as cause, and leaves the store readable', async () => {
      await store.close();
      store = await openStore(dir, { maxSizeBytes: 256 * 1024 });
      let caught: unknown;
      let written = 0;
      for (let i = 0; i < 200 && !caught; i++) {
        try {
          await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm${i}`, namespace: 'default' }, data: { big: 'x'.repeat(16 * 1024) } });
          written++;
        } catch (err) {
          caught = err;
        }
      }
      expect(caught).toBeInstanceOf(StoreIOError);
      expect((caught as StoreIOError).code).toBe('ESTORE_IO');
      expect(((caught as Error).cause as { code: string }).code).toMatch(/^SQLITE_FULL/);
      expect((caught as Error).message).toMatch(/failed: disk full: SQLITE_FULL/);
      expect(written).toBeGreaterThan(0);
      const listed = await store.list('ConfigMap');
      expect(listed.items).toHaveLength(written);
      expect(listed.revision).toBe(written);
    });

    it('after close(), every call fails with StoreClosedError; close() again is a no-op', async () => {
      await store.create(pod('a'));
      await store.close();
      await expect(store.get(podKey('a'))).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.list('Pod')).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.create(pod('b'))).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.update(pod('a'))).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.delete(podKey('a'))).rejects.toBeInstanceOf(StoreClosedError);
      await expect(store.revision()).rejects.toBeInstanceOf(StoreClosedError);
      expect(() => store.watch({}, () => undefined)).toThrow(StoreClosedError);
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
});
