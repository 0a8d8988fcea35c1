import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateRetriesExhaustedError } from '../../../hub/store/errors.js';
import { updateWithRetry } from '../../../hub/store/update-with-retry.js';
import { createSqliteStore } from '../../../hub/store/sqlite-store.js';
import type { Store, StoredObject } from '../../../hub/store/store.js';
import { silentLogger } from '../../../protocol/logger.js';

type Counter = StoredObject & { spec: { n: number } };
const key = { kind: 'Counter', namespace: '', name: 'c' };

describe('updateWithRetry', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-retry-'));
    store = await createSqliteStore({ path: join(dir, 'state.db'), logger: silentLogger() });
    await store.create<Counter>({ apiVersion: 'v1', kind: 'Counter', metadata: { name: 'c' }, spec: { n: 0 } });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('retries after a concurrent write and applies the change on the fresh object', async () => {
    let calls = 0;
    const result = await updateWithRetry<Counter>(store, key, (c) => {
      calls++;
      if (calls === 1) void store.update<Counter>({ ...c, spec: { n: 100 } });
      return { ...c, spec: { n: c.spec.n + 1 } };
    });
    // The first attempt raced with n=100 and lost; the retry saw 100.
    expect(calls).toBe(2);
    expect(result.outcome).toBe('updated');
    expect((await store.get<Counter>(key))?.spec.n).toBe(101);
  });

  it('reports notFound and unchanged without writing', async () => {
    expect((await updateWithRetry(store, { ...key, name: 'nope' }, (c) => c)).outcome).toBe('notFound');
    const rev = await store.revision();
    expect((await updateWithRetry(store, key, () => undefined)).outcome).toBe('unchanged');
    expect(await store.revision()).toBe(rev);
  });

  it('gives up with UpdateRetriesExhaustedError when every attempt conflicts', async () => {
    const attempt = updateWithRetry<Counter>(
      store,
      key,
      (c) => {
        void store.update<Counter>({ ...c, spec: { n: c.spec.n + 10 } });
        return { ...c, spec: { n: -1 } };
      },
      3,
    );
    await expect(attempt).rejects.toBeInstanceOf(UpdateRetriesExhaustedError);
  });
});
