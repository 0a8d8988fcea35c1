import Database from 'better-sqlite3';
import { StoreIOError } from './errors.js';
import { withIOErrors } from './sqlite-errors.js';

export type SqliteDatabase = Database.Database;

export interface OpenDatabaseOptions {
  path: string;
  /** How long a write waits for a lock held by another connection before failing (ms). */
  busyTimeoutMs: number;
  /** Cap the database size; writes beyond it fail with SQLITE_FULL. */
  maxSizeBytes?: number;
}

const SCHEMA_VERSION = 1;

/**
 * Open (and create if needed) the store's SQLite file with the settings durability depends on:
 * WAL journal, synchronous=FULL (every commit is fsync'd before it returns), a busy timeout.
 */
export function openStoreDatabase(opts: OpenDatabaseOptions): SqliteDatabase {
  return withIOErrors(`open ${opts.path}`, () => {
    const db = new Database(opts.path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs))}`);
      if (opts.maxSizeBytes !== undefined) {
        const pageSize = db.pragma('page_size', { simple: true }) as number;
        db.pragma(`max_page_count = ${Math.max(1, Math.ceil(opts.maxSizeBytes / pageSize))}`);
      }
      migrate(db);
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  });
}

function migrate(db: SqliteDatabase): void {
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (
        key   TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS objects (
        kind             TEXT NOT NULL,
        namespace        TEXT NOT NULL,
        name             TEXT NOT NULL,
        uid              TEXT NOT NULL,
        resource_version INTEGER NOT NULL,
        json             TEXT NOT NULL,
        PRIMARY KEY (kind, namespace, name)
      );
      CREATE TABLE IF NOT EXISTS history (
        revision  INTEGER PRIMARY KEY,
        type      TEXT NOT NULL,
        kind      TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name      TEXT NOT NULL,
        json      TEXT NOT NULL
      );
      INSERT OR IGNORE INTO meta (key, value) VALUES ('revision', 0);
      INSERT OR IGNORE INTO meta (key, value) VALUES ('compacted', 0);
    `);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new StoreIOError(`store schema version ${version} is newer than this hub understands (${SCHEMA_VERSION})`);
    }
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
