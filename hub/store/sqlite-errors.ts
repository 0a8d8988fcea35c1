import { StoreIOError } from './errors.js';

/**
 * SQLite result codes that mean the storage itself failed (not a bug in our SQL): the disk is full,
 * the file cannot be read or written, the database is corrupt or locked beyond busy_timeout.
 * Extended codes (SQLITE_IOERR_FSYNC, SQLITE_READONLY_DBMOVED, ...) match by prefix.
 */
const IO_CODE_PREFIXES = [
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_NOMEM',
  'SQLITE_PROTOCOL',
];

export function isSqliteIOError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && IO_CODE_PREFIXES.some((p) => code === p || code.startsWith(`${p}_`));
}

/** Run a database operation; storage failures become StoreIOError (cause chained), anything else is rethrown as is. */
export function withIOErrors<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isSqliteIOError(err)) {
      const code = (err as { code: string }).code;
      // say it plainly: an API client sees this message in its 500 Status
      const plain = code.startsWith('SQLITE_FULL') ? 'disk full: ' : '';
      throw new StoreIOError(`store ${what} failed: ${plain}${code}: ${(err as Error).message}`, { cause: err });
    }
    throw err;
  }
}
