/**
 * The Store on one SQLite file (better-sqlite3). See store.ts for the contract and README.md for the
 * choices made here. Every write runs inside a group-committed IMMEDIATE transaction
 * (group-commit.ts): read-check (existence, CAS), bump the revision in `meta`, write `objects` and one
 * `history` row, trim `history` to `historyLimit` rows. synchronous=FULL in WAL mode means the commit is
 * fsync'd before any write of it resolves.
 */
import { isDeepStrictEqual } from 'node:util';
import { randomUUID } from 'node:crypto';
import { ValidationError } from '../../protocol/errors.js';
import { matchesSelector } from '../../protocol/labels.js';
import type { Logger } from '../../protocol/logger.js';
import {
  AlreadyExistsError,
  ConflictError,
  NotFoundError,
  RevisionCompactedError,
  StoreClosedError,
} from './errors.js';
import { checkFieldSelector, matchesFieldSelector } from './field-selector.js';
import { checkWritable, generateNameSuffix, keyOf, specChanged } from './object-metadata.js';
import { withIOErrors } from './sqlite-errors.js';
import { openStoreDatabase, type SqliteDatabase } from './sqlite-schema.js';
import type { ListOptions, ListResult, ObjectKey, RawWatchEvent, Store, StoredObject, WatchEvent, WatchOptions, WriteOptions } from './store.js';
import { createGroupCommitter } from './group-commit.js';
import { createWatcherRegistry, type ChangeRecord } from './watchers.js';
import { openRevisionMark } from './revision-mark.js';
import { preciseTimestamp } from '../../protocol/time.js';

export interface SqliteStoreOptions {
  /** The database file (created if missing; its directory must exist). */
  path: string;
  logger: Logger;
  /** Milliseconds since the epoch; used for creationTimestamp. Default Date.now. */
  clock?: () => number;
  /** metadata.uid for new objects. Default crypto.randomUUID. */
  uid?: () => string;
  /** How many history rows (one per revision) are kept for watch-from-revision. Default 10000. */
  historyLimit?: number;
  /** How long a write waits on a lock held by another connection (ms). Default 5000. */
  busyTimeoutMs?: number;
  /** Cap the database size (bytes); a write beyond it fails with StoreIOError (SQLITE_FULL). Default: no cap. */
  maxSizeBytes?: number;
  /** Most writes committed in one transaction (group commit, group-commit.ts; default 500). */
  maxBatch?: number;
  /**
   * The acknowledged-revision high-water mark (revision-mark.ts); default `<path>.revision`, `false` for none.
   * A database found below it at open is logged as an error (writes were lost) and its revision moved up to
   * the mark, so no revision is ever handed out twice.
   */
  revisionMarkPath?: string | false;
}

/** What the store found at open about its own history. */
export interface StoreOpenReport {
  /** The database's revision as found. */
  revision: number;
  /** The highest revision acknowledged before (the mark), 0 without one. */
  acknowledged: number;
  /** Acknowledged writes the database no longer has (0 when it is whole). */
  lost: number;
}

export const DEFAULT_HISTORY_LIMIT = 10_000;
const GENERATE_NAME_ATTEMPTS = 8;

interface ObjectRow {
  json: string;
  resource_version: number;
}
interface HistoryRow {
  revision: number;
  type: ChangeRecord['type'];
  kind: string;
  namespace: string;
  name: string;
  json: string;
}

/**
 * A write's outcome: the object as stored (a fresh copy no one else holds: it goes to the caller) and
 * the change to publish to watchers (undefined when nothing changed).
 */
interface WriteOutcome {
  object: StoredObject;
  change?: ChangeRecord;
  /** bumpRevision's: the revision moved to. */
  bumpedTo?: number;
}

const jsonClone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export async function createSqliteStore(opts: SqliteStoreOptions): Promise<Store & { openReport(): StoreOpenReport }> {
  // The caller may already have made our child logger; do not add the binding twice.
  const log = opts.logger.bindings().component === 'store' ? opts.logger : opts.logger.child({ component: 'store' });
  const clock = opts.clock ?? Date.now;
  const newUid = opts.uid ?? randomUUID;
  const historyLimit = opts.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  if (!Number.isInteger(historyLimit) || historyLimit < 1) {
    throw new ValidationError('SqliteStoreOptions', 'historyLimit', 'must be a positive integer');
  }
  const db: SqliteDatabase = openStoreDatabase({
    path: opts.path,
    busyTimeoutMs: opts.busyTimeoutMs ?? 5000,
    ...(opts.maxSizeBytes !== undefined ? { maxSizeBytes: opts.maxSizeBytes } : {}),
  });

  const sql = {
    getObject: db.prepare<[string, string, string], ObjectRow>(
      'SELECT json, resource_version FROM objects WHERE kind = ? AND namespace = ? AND name = ?',
    ),
    objectExists: db.prepare<[string, string, string], { one: number }>(
      'SELECT 1 AS one FROM objects WHERE kind = ? AND namespace = ? AND name = ?',
    ),
    listKind: db.prepare<[string], { json: string }>('SELECT json FROM objects WHERE kind = ? ORDER BY namespace, name'),
    listKindNamespace: db.prepare<[string, string], { json: string }>(
      'SELECT json FROM objects WHERE kind = ? AND namespace = ? ORDER BY name',
    ),
    getMeta: db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare<[number, string]>('UPDATE meta SET value = ? WHERE key = ?'),
    insertObject: db.prepare<[string, string, string, string, number, string]>(
      'INSERT INTO objects (kind, namespace, name, uid, resource_version, json) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    replaceObject: db.prepare<[number, string, string, string, string]>(
      'UPDATE objects SET resource_version = ?, json = ? WHERE kind = ? AND namespace = ? AND name = ?',
    ),
    deleteObject: db.prepare<[string, string, string]>('DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?'),
    insertHistory: db.prepare<[number, string, string, string, string, string]>(
      'INSERT INTO history (revision, type, kind, namespace, name, json) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    trimHistory: db.prepare<[number]>('DELETE FROM history WHERE revision <= ?'),
    historyAfter: db.prepare<[{ from: number; kind: string | null; namespace: string | null }], HistoryRow>(
      `SELECT revision, type, kind, namespace, name, json FROM history
       WHERE revision > @from AND (@kind IS NULL OR kind = @kind) AND (@namespace IS NULL OR namespace = @namespace)
       ORDER BY revision`,
    ),
  };

  const readMeta = (key: 'revision' | 'compacted'): number => sql.getMeta.get(key)?.value ?? 0;

  /** Inside a write transaction: take the next revision, record the history row, trim old history. */
  const recordChange = (change: Omit<ChangeRecord, 'revision'>, revision: number): ChangeRecord => {
    sql.insertHistory.run(revision, change.type, change.kind, change.namespace, change.name, change.json);
    sql.setMeta.run(revision, 'revision');
    const keepAfter = revision - historyLimit;
    if (keepAfter > readMeta('compacted')) {
      sql.trimHistory.run(keepAfter);
      sql.setMeta.run(keepAfter, 'compacted');
    }
    return { ...change, revision };
  };

  /**
   * Inside a write transaction: the next revision handed out is after `to` (etcd's --bump-revision), and
   * everything before counts as compacted (a watch from an older revision gets 410 and re-lists).
   */
  const moveRevisionTo = (to: number): number => {
    const current = readMeta('revision');
    if (to <= current) return current;
    sql.setMeta.run(to, 'revision');
    sql.trimHistory.run(to);
    sql.setMeta.run(to, 'compacted');
    return to;
  };

  // Each write checks everything it can refuse (exists, not found, CAS) before it writes anything, so
  // a refused write has changed nothing and needs no savepoint of its own inside the batch's
  // transaction (group-commit.ts); a SQLite failure while writing aborts the whole batch.
  const createTx = (input: StoredObject): WriteOutcome => {
    const object = jsonClone(input);
    const meta = object.metadata as StoredObject['metadata'] & { name?: string };
    const namespace = meta.namespace ?? '';
    if (!meta.name) {
      for (let attempt = 0; attempt < GENERATE_NAME_ATTEMPTS && !meta.name; attempt++) {
        const candidate = `${meta.generateName}${generateNameSuffix()}`;
        if (!sql.objectExists.get(object.kind, namespace, candidate)) meta.name = candidate;
      }
      if (!meta.name) throw new AlreadyExistsError({ kind: object.kind, namespace, name: `${meta.generateName}*` });
    }
    const key: ObjectKey = { kind: object.kind, namespace, name: meta.name };
    if (sql.objectExists.get(key.kind, key.namespace, key.name)) throw new AlreadyExistsError(key);
    const revision = readMeta('revision') + 1;
    meta.uid = meta.uid || newUid();
    meta.resourceVersion = String(revision);
    meta.creationTimestamp = preciseTimestamp(clock());
    meta.generation = 1;
    const json = JSON.stringify(object);
    sql.insertObject.run(key.kind, key.namespace, key.name, meta.uid, revision, json);
    return { object, change: recordChange({ type: 'ADDED', ...key, json }, revision) };
  };

  const updateTx = (input: StoredObject, expected: string | undefined): WriteOutcome => {
    const object = jsonClone(input);
    const key = keyOf(object);
    const row = sql.getObject.get(key.kind, key.namespace, key.name);
    if (!row) throw new NotFoundError(key);
    const current = String(row.resource_version);
    if (expected !== undefined && expected !== current) throw new ConflictError(key, expected, current);
    const previous = JSON.parse(row.json) as StoredObject;
    const meta = object.metadata;
    meta.uid = previous.metadata.uid;
    meta.creationTimestamp = previous.metadata.creationTimestamp;
    meta.generation = (previous.metadata.generation ?? 1) + (specChanged(previous, object) ? 1 : 0);
    meta.resourceVersion = current;
    // A write that changes nothing is not a write (as in the Kubernetes API server): no new revision, no event.
    if (isDeepStrictEqual(object, previous)) return { object: previous };
    const revision = readMeta('revision') + 1;
    meta.resourceVersion = String(revision);
    const json = JSON.stringify(object);
    sql.replaceObject.run(revision, json, key.kind, key.namespace, key.name);
    return { object, change: recordChange({ type: 'MODIFIED', ...key, json }, revision) };
  };

  const deleteTx = (key: ObjectKey, expected: string | undefined): WriteOutcome => {
    const row = sql.getObject.get(key.kind, key.namespace, key.name);
    if (!row) throw new NotFoundError(key);
    const current = String(row.resource_version);
    if (expected !== undefined && expected !== current) throw new ConflictError(key, expected, current);
    const object = JSON.parse(row.json) as StoredObject;
    const revision = readMeta('revision') + 1;
    object.metadata.resourceVersion = String(revision);
    const json = JSON.stringify(object);
    sql.deleteObject.run(key.kind, key.namespace, key.name);
    return { object, change: recordChange({ type: 'DELETED', ...key, json }, revision) };
  };

  const watchers = createWatcherRegistry({ logger: log });

  /** The recorded changes a watcher from `options.fromRevision` must see first (none without one). */
  function backlogFor(options: WatchOptions): ChangeRecord[] {
    ensureOpen();
    const from = options.fromRevision;
    if (from === undefined) return [];
    if (!Number.isInteger(from) || from < 0) {
      throw new ValidationError('watch', 'fromRevision', 'must be a non-negative integer');
    }
    return withIOErrors('watch', () =>
      db.transaction(() => {
        const compacted = readMeta('compacted');
        if (from < compacted) throw new RevisionCompactedError(from, compacted + 1);
        return sql.historyAfter.all({ from, kind: options.kind ?? null, namespace: options.namespace ?? null });
      })(),
    );
  }
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new StoreClosedError();
  };

  const found = readMeta('revision');
  const mark = opts.revisionMarkPath === false ? undefined : await openRevisionMark(opts.revisionMarkPath ?? `${opts.path}.revision`, found);
  const report: StoreOpenReport = { revision: found, acknowledged: mark?.atOpen ?? 0, lost: Math.max(0, (mark?.atOpen ?? 0) - found) };
  if (report.lost > 0) {
    // revisions found..acknowledged were handed out (as resourceVersions, desired-set generations): never again
    withIOErrors('open', () => db.transaction(() => moveRevisionTo(report.acknowledged))());
    log.error(
      { path: opts.path, revision: found, acknowledged: report.acknowledged, lost: report.lost },
      `THE STORE IS SHORTER THAN WHAT THIS HUB ACKNOWLEDGED: it holds revision ${found}, but writes up to ${report.acknowledged} were acknowledged; ` +
        `the last ${report.lost} acknowledged writes are lost (a lost or truncated WAL, a database copied back from a backup, a disk that dropped writes). ` +
        `The revision moves to ${report.acknowledged} so no revision or generation is handed out twice; objects written in the lost range are gone`,
    );
  }

  const committer = createGroupCommitter<WriteOutcome>({
    db,
    ...(opts.maxBatch !== undefined ? { maxBatch: opts.maxBatch } : {}),
    onCommitted: (outcomes) => {
      let last = 0;
      for (const outcome of outcomes) {
        if (outcome.change) last = Math.max(last, outcome.change.revision);
      }
      // durable before any of these writes is acknowledged (they resolve after this callback)
      if (last > 0) mark?.advance(last);
      for (const outcome of outcomes) if (outcome.change) watchers.publish(outcome.change);
    },
  });
  const write = async <T extends StoredObject>(run: () => WriteOutcome): Promise<T> => {
    ensureOpen();
    return (await committer.submit(run)).object as T;
  };

  log.info({ path: opts.path, revision: readMeta('revision'), acknowledged: report.acknowledged, historyLimit }, 'store opened');

  return {
    async get<T extends StoredObject = StoredObject>(key: ObjectKey): Promise<T | undefined> {
      ensureOpen();
      const row = withIOErrors('get', () => sql.getObject.get(key.kind, key.namespace, key.name));
      return row ? (JSON.parse(row.json) as T) : undefined;
    },

    async list<T extends StoredObject = StoredObject>(kind: string, options: ListOptions = {}): Promise<ListResult<T>> {
      ensureOpen();
      checkFieldSelector(options.fieldSelector);
      const { rows, revision } = withIOErrors('list', () =>
        db.transaction(() => ({
          rows: options.namespace === undefined ? sql.listKind.all(kind) : sql.listKindNamespace.all(kind, options.namespace!),
          revision: readMeta('revision'),
        }))(),
      );
      const items: T[] = [];
      for (const row of rows) {
        const object = JSON.parse(row.json) as T;
        if (!matchesSelector(object.metadata.labels, options.labelSelector)) continue;
        if (!matchesFieldSelector(object, options.fieldSelector)) continue;
        items.push(object);
      }
      return { items, revision };
    },

    async create<T extends StoredObject>(object: T): Promise<T> {
      ensureOpen();
      checkWritable(object, false);
      return write<T>(() => createTx(object));
    },

    async update<T extends StoredObject>(object: T, options: WriteOptions = {}): Promise<T> {
      ensureOpen();
      checkWritable(object, true);
      return write<T>(() => updateTx(object, options.expectedResourceVersion));
    },

    async delete<T extends StoredObject = StoredObject>(key: ObjectKey, options: WriteOptions = {}): Promise<T> {
      ensureOpen();
      return write<T>(() => deleteTx(key, options.expectedResourceVersion));
    },

    /**
     * Throws synchronously: StoreClosedError; RevisionCompactedError when fromRevision is older than
     * the kept history; ValidationError for a negative or fractional fromRevision.
     */
    watch(options: WatchOptions, handler: (event: WatchEvent) => void) {
      // Everything here is synchronous: no write can commit between reading the backlog and registering.
      return watchers.add(options, handler, backlogFor(options));
    },

    /** As watch(). */
    watchJson(options: WatchOptions, handler: (event: RawWatchEvent) => void) {
      return watchers.addRaw(options, handler, backlogFor(options));
    },

    async revision(): Promise<number> {
      ensureOpen();
      return withIOErrors('revision', () => readMeta('revision'));
    },

    async compactedRevision(): Promise<number> {
      ensureOpen();
      return withIOErrors('revision', () => readMeta('compacted'));
    },

    async bumpRevision(to: number): Promise<number> {
      ensureOpen();
      if (!Number.isSafeInteger(to) || to < 0) throw new ValidationError('bumpRevision', 'to', 'must be a non-negative integer');
      const outcome = await committer.submit(() => ({ object: undefined as unknown as StoredObject, bumpedTo: moveRevisionTo(to) }));
      const revision = outcome.bumpedTo!;
      mark?.advance(revision);
      log.warn({ revision }, 'revision moved forward (bump): the next write is after it; watches from before it re-list');
      return revision;
    },

    openReport: () => report,

    /** Idempotent: closing a closed store is a no-op. */
    async close(): Promise<void> {
      if (closed) return;
      // what was acknowledged to nobody yet is still committed (or rejected) before the file closes
      committer.flushNow();
      closed = true;
      watchers.closeAll();
      withIOErrors('close', () => db.close());
      mark?.close();
      log.info({ path: opts.path }, 'store closed');
    },
  };
}
