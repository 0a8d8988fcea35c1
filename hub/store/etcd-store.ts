/**
 * The Store on etcd v3 (the etcd3 package), for hubs that share their state. The semantics are the SQLite
 * store's (store.ts), on etcd's own: one global revision (etcd's), an object's resourceVersion is the etcd
 * mod_revision of its key (kept out of the stored value, as the Kubernetes API server does), compare-and-swap as an
 * etcd transaction on mod_revision, watches from a revision replayed from this hub's watch cache (etcd-history.ts).
 * A write resolves once etcd has committed it (raft quorum, fsync'd on a majority).
 *
 * Revisions are etcd's, so other writers to the same etcd (another hub, a lease) leave gaps between Drover's; each
 * open writes one marker key (`meta/opened`).
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { ExponentialBackoff } from 'cockatiel';
import { Etcd3, type IKeyValue, type IOptions } from 'etcd3';
import { ValidationError } from '../../protocol/errors.js';
import { matchesSelector } from '../../protocol/labels.js';
import type { Logger } from '../../protocol/logger.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { AlreadyExistsError, ConflictError, NotFoundError, StoreClosedError, StoreIOError, UpdateRetriesExhaustedError } from './errors.js';
import { openEtcdHistory } from './etcd-history.js';
import { etcdKeys } from './etcd-keys.js';
import { checkFieldSelector, matchesFieldSelector } from './field-selector.js';
import { checkWritable, generateNameSuffix, keyOf, specChanged } from './object-metadata.js';
import type { ListOptions, ListResult, ObjectKey, RawWatchEvent, Store, StoredObject, WatchEvent, WatchOptions, WriteOptions } from './store.js';
import { createWatcherRegistry } from './watchers.js';

export interface EtcdStoreOptions {
  /** etcd client URLs, e.g. ['https://10.0.0.1:2379']. */
  endpoints: string[];
  /** TLS to etcd: the CA (PEM) and optionally a client certificate and key. */
  tls?: { ca: Buffer; cert?: Buffer; key?: Buffer };
  /** Every key under this prefix (default `/drover/`): several clusters may share one etcd. */
  prefix?: string;
  logger: Logger;
  clock?: () => number;
  uid?: () => string;
  /** How many changes the watch cache keeps for watch-from-revision (default 10000). */
  historyLimit?: number;
  /** Per-call deadline (ms); default 10000. */
  callTimeoutMs?: number;
}

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

const GENERATE_NAME_ATTEMPTS = 8;
/** An update or delete without an expected resourceVersion retries its own read-modify-write this often. */
const CAS_ATTEMPTS = 16;
/** bumpRevision moves etcd's revision with one write per revision; beyond this, restore with etcdutl --bump-revision. */
const MAX_BUMP = 100_000;

const withoutResourceVersion = (object: StoredObject): string => {
  const { resourceVersion: _rv, ...metadata } = object.metadata;
  return JSON.stringify({ ...object, metadata });
};
const decode = <T extends StoredObject>(kv: IKeyValue): T => {
  const object = JSON.parse(kv.value.toString('utf8')) as T;
  object.metadata.resourceVersion = kv.mod_revision;
  return object;
};

export async function createEtcdStore(opts: EtcdStoreOptions): Promise<Store> {
  const log = opts.logger.child({ component: 'store', backend: 'etcd' });
  const clock = opts.clock ?? Date.now;
  const newUid = opts.uid ?? randomUUID;
  const historyLimit = opts.historyLimit ?? 10_000;
  if (!Number.isInteger(historyLimit) || historyLimit < 1) throw new ValidationError('EtcdStoreOptions', 'historyLimit', 'must be a positive integer');
  if (opts.endpoints.length === 0) throw new ValidationError('EtcdStoreOptions', 'endpoints', 'needs at least one etcd URL');
  const keys = etcdKeys(opts.prefix);
  const timeout = opts.callTimeoutMs ?? 10_000;
  const clientOptions: IOptions = {
    hosts: opts.endpoints,
    dialTimeout: timeout,
    // the watch cache resumes soon after etcd is back (the etcd3 default grows to 30 s between attempts)
    // (etcd3 calls the factory's next() itself, as with its own default; its type names the backoff it returns)
    faultHandling: { watchBackoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 3000 }) as unknown as WatchBackoff },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
    ...(opts.tls
      ? { credentials: { rootCertificate: opts.tls.ca, ...(opts.tls.cert ? { certChain: opts.tls.cert } : {}), ...(opts.tls.key ? { privateKey: opts.tls.key } : {}) } }
      : {}),
  };
  const client = new Etcd3(clientOptions);
  let closed = false;
  const ensureOpen = (): void => {
    if (closed) throw new StoreClosedError();
  };
  /** etcd's failures as StoreIOError naming the operation; the store's own typed errors pass through. */
  const io = async <T>(op: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (err instanceof AlreadyExistsError || err instanceof NotFoundError || err instanceof ConflictError || err instanceof UpdateRetriesExhaustedError) throw err;
      throw new StoreIOError(`etcd ${op} failed (${opts.endpoints.join(',')}): ${(err as Error).message}`, { cause: err });
    }
  };

  const watchers = createWatcherRegistry({ logger: log });
  const marker = { value: `${randomUUID()}@${clock()}`, revision: 0 };
  const opened = await io('open', () => client.put(keys.meta('opened')).value(marker.value).exec());
  marker.revision = Number(opened.header.revision);
  const history = await openEtcdHistory({ client, keys, historyLimit, marker, logger: log, onChange: (c) => watchers.publish(c) });
  await history.ready;
  log.info({ endpoints: opts.endpoints, prefix: keys.prefix, revision: marker.revision, compacted: history.compacted() }, 'store opened');

  /**
   * A write resolves once this hub's watch cache has it too, so a watch opened after an acknowledged write never
   * sees it as a live change, and a watch from an older revision finds it in the backlog (as with SQLite).
   */
  const acknowledged = async (revision: string): Promise<void> => {
    if (!(await history.reached(Number(revision), timeout))) {
      log.warn({ revision }, 'the etcd watch has not delivered this write yet; acknowledging it anyway (it is committed)');
    }
  };

  const readKv = async (key: ObjectKey): Promise<IKeyValue | undefined> => {
    const res = await client.get(keys.object(key)).exec();
    return res.kvs[0];
  };

  async function createOnce(object: StoredObject, name: string): Promise<StoredObject | undefined> {
    const meta = object.metadata;
    const key: ObjectKey = { kind: object.kind, namespace: meta.namespace ?? '', name };
    const stored: StoredObject = { ...object, metadata: { ...meta, name } };
    const etcdKey = keys.object(key);
    const res = await client.if(etcdKey, 'Create', '==', 0).then(client.put(etcdKey).value(withoutResourceVersion(stored))).commit();
    if (!res.succeeded) return undefined;
    stored.metadata.resourceVersion = res.header.revision;
    await acknowledged(res.header.revision);
    return stored;
  }

  /** Read, change, compare-and-swap on the read's mod_revision; retried when another writer came first and no version was expected. */
  async function casLoop<T>(key: ObjectKey, expected: string | undefined, step: (kv: IKeyValue) => Promise<{ done: T } | 'retry'>): Promise<T> {
    for (let attempt = 1; attempt <= CAS_ATTEMPTS; attempt++) {
      const kv = await readKv(key);
      if (!kv) throw new NotFoundError(key);
      if (expected !== undefined && expected !== kv.mod_revision) throw new ConflictError(key, expected, kv.mod_revision);
      const outcome = await step(kv);
      if (outcome !== 'retry') return outcome.done;
      if (expected !== undefined) {
        const now = await readKv(key);
        if (!now) throw new NotFoundError(key);
        throw new ConflictError(key, expected, now.mod_revision);
      }
    }
    throw new UpdateRetriesExhaustedError(key, CAS_ATTEMPTS);
  }

  const currentRevision = async (): Promise<number> => {
    const res = await io('revision', () => client.get(keys.meta('opened')).exec());
    return Number(res.header.revision);
  };

  const matchFrom = <E extends { revision: number }>(from: number | undefined, handler: (e: E) => void) =>
    from === undefined ? handler : (e: E) => {
      // the cache may be behind the revision a client listed at: what it saw already is not repeated
      if (e.revision > from) handler(e);
    };
  const backlogFor = (options: WatchOptions) => {
    ensureOpen();
    const from = options.fromRevision;
    if (from === undefined) return [];
    if (!Number.isInteger(from) || from < 0) throw new ValidationError('watch', 'fromRevision', 'must be a non-negative integer');
    return history.backlog(options, from);
  };

  return {
    async get<T extends StoredObject = StoredObject>(key: ObjectKey): Promise<T | undefined> {
      ensureOpen();
      const kv = await io('get', () => readKv(key));
      return kv ? decode<T>(kv) : undefined;
    },

    async list<T extends StoredObject = StoredObject>(kind: string, options: ListOptions = {}): Promise<ListResult<T>> {
      ensureOpen();
      checkFieldSelector(options.fieldSelector);
      const res = await io('list', () => client.getAll().prefix(keys.kind(kind, options.namespace)).exec());
      const items: T[] = [];
      for (const kv of res.kvs) {
        const object = decode<T>(kv);
        if (!matchesSelector(object.metadata.labels, options.labelSelector)) continue;
        if (!matchesFieldSelector(object, options.fieldSelector)) continue;
        items.push(object);
      }
      // etcd orders by key bytes, where '/' sorts after '-': order as the SQLite store does, by namespace then name
      items.sort((a, b) => cmp(a.metadata.namespace ?? '', b.metadata.namespace ?? '') || cmp(a.metadata.name, b.metadata.name));
      return { items, revision: Number(res.header.revision) };
    },

    async create<T extends StoredObject>(input: T): Promise<T> {
      ensureOpen();
      checkWritable(input, false);
      const object = JSON.parse(JSON.stringify(input)) as T;
      const meta = object.metadata;
      meta.uid = meta.uid || newUid();
      meta.creationTimestamp = preciseTimestamp(clock());
      meta.generation = 1;
      return io('create', async () => {
        if (meta.name) {
          const made = await createOnce(object, meta.name);
          if (!made) throw new AlreadyExistsError({ kind: object.kind, namespace: meta.namespace ?? '', name: meta.name });
          return made as T;
        }
        for (let attempt = 0; attempt < GENERATE_NAME_ATTEMPTS; attempt++) {
          const made = await createOnce(object, `${meta.generateName}${generateNameSuffix()}`);
          if (made) return made as T;
        }
        throw new AlreadyExistsError({ kind: object.kind, namespace: meta.namespace ?? '', name: `${meta.generateName}*` });
      });
    },

    async update<T extends StoredObject>(input: T, options: WriteOptions = {}): Promise<T> {
      ensureOpen();
      checkWritable(input, true);
      const key = keyOf(input);
      return io('update', () =>
        casLoop<T>(key, options.expectedResourceVersion, async (kv) => {
          const previous = decode<T>(kv);
          const object = JSON.parse(JSON.stringify(input)) as T;
          const meta = object.metadata;
          meta.uid = previous.metadata.uid;
          meta.creationTimestamp = previous.metadata.creationTimestamp;
          meta.generation = (previous.metadata.generation ?? 1) + (specChanged(previous, object) ? 1 : 0);
          meta.resourceVersion = kv.mod_revision;
          if (isDeepStrictEqual(object, previous)) return { done: previous };
          const etcdKey = keys.object(key);
          const res = await client.if(etcdKey, 'Mod', '==', kv.mod_revision).then(client.put(etcdKey).value(withoutResourceVersion(object))).commit();
          if (!res.succeeded) return 'retry';
          meta.resourceVersion = res.header.revision;
          await acknowledged(res.header.revision);
          return { done: object };
        }),
      );
    },

    async delete<T extends StoredObject = StoredObject>(key: ObjectKey, options: WriteOptions = {}): Promise<T> {
      ensureOpen();
      return io('delete', () =>
        casLoop<T>(key, options.expectedResourceVersion, async (kv) => {
          const etcdKey = keys.object(key);
          const res = await client.if(etcdKey, 'Mod', '==', kv.mod_revision).then(client.delete().key(etcdKey)).commit();
          if (!res.succeeded) return 'retry';
          const object = decode<T>(kv);
          object.metadata.resourceVersion = res.header.revision;
          await acknowledged(res.header.revision);
          return { done: object };
        }),
      );
    },

    watch(options: WatchOptions, handler: (event: WatchEvent) => void) {
      return watchers.add(options, matchFrom(options.fromRevision, handler), backlogFor(options));
    },

    watchJson(options: WatchOptions, handler: (event: RawWatchEvent) => void) {
      return watchers.addRaw(options, matchFrom(options.fromRevision, handler), backlogFor(options));
    },

    async revision(): Promise<number> {
      ensureOpen();
      return currentRevision();
    },

    async compactedRevision(): Promise<number> {
      ensureOpen();
      return history.compacted();
    },

    async bumpRevision(to: number): Promise<number> {
      ensureOpen();
      if (!Number.isSafeInteger(to) || to < 0) throw new ValidationError('bumpRevision', 'to', 'must be a non-negative integer');
      let revision = await currentRevision();
      if (to - revision > MAX_BUMP) {
        throw new ValidationError('bumpRevision', 'to', `is ${to - revision} revisions ahead of etcd's ${revision}: restore the etcd snapshot with \`etcdutl snapshot restore --bump-revision\` instead`);
      }
      while (revision < to) {
        const res = await io('bump', () => client.put(keys.meta('bump')).value(String(to)).exec());
        revision = Number(res.header.revision);
      }
      await acknowledged(String(revision));
      history.compactTo(revision);
      log.warn({ revision }, 'revision moved forward (bump): the next write is after it; watches from before it re-list');
      return revision;
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      watchers.closeAll();
      await history.close();
      client.close();
      log.info({ prefix: keys.prefix }, 'store closed');
    },
  };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
