/** Group commit: concurrent writes share one transaction (one fsync); each failure stays its own. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createGroupCommitter } from '../../../hub/store/group-commit.js';
import { openStoreDatabase, type SqliteDatabase } from '../../../hub/store/sqlite-schema.js';
import { ConflictError, StoreIOError } from '../../../hub/store/errors.js';
import { openStore, pod, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

function withTable(db: SqliteDatabase): (n: number) => () => number {
  db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY)');
  const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
  return (n) => db.transaction(() => Number(insert.run(n).lastInsertRowid));
}

describe('group commit', () => {
  it('commits writes queued in one turn of the event loop in one transaction', async () => {
    const db = openStoreDatabase({ path: join(dir, 'g.db'), busyTimeoutMs: 100 });
    const insert = withTable(db);
    const commits: number[][] = [];
    const committer = createGroupCommitter<number>({ db, onCommitted: (r) => commits.push(r) });
    const results = await Promise.all(Array.from({ length: 120 }, (_, i) => committer.submit(insert(i + 1))));
    expect(results).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(commits).toHaveLength(1);
    expect(commits[0]).toHaveLength(120);
    db.close();
  });

  it('splits a burst into batches of maxBatch', async () => {
    const db = openStoreDatabase({ path: join(dir, 'g.db'), busyTimeoutMs: 100 });
    const insert = withTable(db);
    const commits: number[] = [];
    const committer = createGroupCommitter<number>({ db, maxBatch: 50, onCommitted: (r) => commits.push(r.length) });
    await Promise.all(Array.from({ length: 120 }, (_, i) => committer.submit(insert(i + 1))));
    expect(commits).toEqual([50, 50, 20]);
    db.close();
  });

  it('rolls back and rejects only the write that failed on its own terms', async () => {
    const db = openStoreDatabase({ path: join(dir, 'g.db'), busyTimeoutMs: 100 });
    const insert = withTable(db);
    const committer = createGroupCommitter<number>({ db, onCommitted: () => undefined });
    const failing = () =>
      db.transaction(() => {
        insert(999)();
        throw new ConflictError({ kind: 'T', namespace: '', name: 'x' }, '1', '2');
      })();
    const outcomes = await Promise.allSettled([committer.submit(insert(1)), committer.submit(failing), committer.submit(insert(2))]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    // the failed write's own insert was rolled back with its savepoint
    expect(db.prepare('SELECT n FROM t ORDER BY n').all()).toEqual([{ n: 1 }, { n: 2 }]);
    db.close();
  });

  it('fails the whole batch on a storage error and keeps none of it', async () => {
    const db = openStoreDatabase({ path: join(dir, 'g.db'), busyTimeoutMs: 100 });
    const insert = withTable(db);
    const committer = createGroupCommitter<number>({ db, onCommitted: () => undefined });
    const diskFull = () => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    };
    const outcomes = await Promise.allSettled([committer.submit(insert(1)), committer.submit(diskFull), committer.submit(insert(2))]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(StoreIOError);
    expect(db.prepare('SELECT n FROM t').all()).toEqual([]);
    db.close();
  });

  it('through the store: 200 concurrent creates take revisions 1..200 and one loses its CAS alone', async () => {
    const store = await openStore(dir);
    try {
      const created = await Promise.all(Array.from({ length: 200 }, (_, i) => store.create(pod(`p${i}`))));
      expect(created.map((p) => Number(p.metadata.resourceVersion)).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
      const [a, b] = created;
      const outcomes = await Promise.allSettled([
        store.update({ ...a!, spec: { ...(a!.spec as object), x: 1 } }, { expectedResourceVersion: a!.metadata.resourceVersion }),
        store.update({ ...a!, spec: { ...(a!.spec as object), x: 2 } }, { expectedResourceVersion: a!.metadata.resourceVersion }),
        store.update({ ...b!, spec: { ...(b!.spec as object), x: 3 } }, { expectedResourceVersion: b!.metadata.resourceVersion }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await store.revision()).toBe(202);
    } finally {
      await store.close();
    }
  });
});
