import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RevisionCompactedError } from '../../../hub/store/errors.js';
import { createSqliteStore } from '../../../hub/store/sqlite-store.js';
import { silentLogger } from '../../../protocol/logger.js';
import { pod, tempDir } from './helpers.js';

describe('acknowledged-revision mark and bumpRevision', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());
  const open = () => createSqliteStore({ path: join(dir, 'state.db'), logger: silentLogger() });

  it('keeps the highest acknowledged revision in state.db.revision, written before the write resolves', async () => {
    const store = await open();
    const created = await store.create(pod('a'));
    expect(Number((await readFile(join(dir, 'state.db.revision'), 'utf8')).trim())).toBe(Number(created.metadata.resourceVersion));
    await store.close();
    const again = await open();
    expect(again.openReport()).toEqual({ revision: Number(created.metadata.resourceVersion), acknowledged: Number(created.metadata.resourceVersion), lost: 0 });
    await again.close();
  });

  it('a database found shorter than what was acknowledged says how much was lost and never hands a revision out twice', async () => {
    let store = await open();
    for (let i = 0; i < 3; i++) await store.create(pod(`p${i}`));
    await store.close();
    await copyFile(join(dir, 'state.db'), join(dir, 'backup.db'));
    store = await open();
    let last = 0;
    for (let i = 3; i < 8; i++) last = Number((await store.create(pod(`p${i}`))).metadata.resourceVersion);
    await store.close();
    // the database goes back (as a lost WAL or a copied-back file would); the mark stays
    await copyFile(join(dir, 'backup.db'), join(dir, 'state.db'));
    store = await open();
    expect(store.openReport()).toEqual({ revision: last - 5, acknowledged: last, lost: 5 });
    expect(await store.revision()).toBe(last);
    const next = await store.create(pod('after'));
    expect(Number(next.metadata.resourceVersion)).toBe(last + 1);
    await store.close();
  });

  it('bumpRevision moves the revision forward only, marks the history before it compacted, and raises the mark', async () => {
    const store = await open();
    await store.create(pod('a'));
    expect(await store.bumpRevision(1000)).toBe(1000);
    expect(await store.bumpRevision(10)).toBe(1000);
    expect(Number((await store.create(pod('b'))).metadata.resourceVersion)).toBe(1001);
    expect(() => store.watch({ fromRevision: 1 }, () => undefined)).toThrow(RevisionCompactedError);
    expect(Number((await readFile(join(dir, 'state.db.revision'), 'utf8')).trim())).toBe(1001);
    await store.close();
  });

  it('a damaged mark is no evidence: the store opens as it is and writes a new one', async () => {
    const store = await open();
    await store.create(pod('a'));
    await store.close();
    await writeFile(join(dir, 'state.db.revision'), 'garbage');
    const again = await open();
    expect(again.openReport().lost).toBe(0);
    await again.close();
  });
});
