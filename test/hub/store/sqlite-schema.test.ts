import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStoreDatabase } from '../../../hub/store/sqlite-schema.js';
import { StoreIOError } from '../../../hub/store/errors.js';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe('openStoreDatabase', () => {
  it('opens in WAL mode with synchronous=FULL and a busy timeout', () => {
    const db = openStoreDatabase({ path: join(dir, 's.db'), busyTimeoutMs: 1234 });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    } finally {
      db.close();
    }
    // WAL is a property of the file: another connection sees it
    const other = new Database(join(dir, 's.db'));
    expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
    other.close();
  });

  it('refuses a file whose schema is newer than this code, and a file that is not a database', async () => {
    const path = join(dir, 'newer.db');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => openStoreDatabase({ path, busyTimeoutMs: 10 })).toThrow(StoreIOError);

    const junk = join(dir, 'junk.db');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(junk, 'this is not an sqlite file at all, just text '.repeat(100));
    expect(() => openStoreDatabase({ path: junk, busyTimeoutMs: 10 })).toThrow(StoreIOError);
  });
});
