import type { Etcd3, IEvent, Watcher } from 'etcd3';
import type { Logger } from '../../protocol/logger.js';
import { RevisionCompactedError } from './errors.js';
import type { EtcdKeys } from './etcd-keys.js';
import type { StoredObject, WatchOptions } from './store.js';
import { matchesWatch, type ChangeRecord } from './watchers.js';

/**
 * The etcd store's watch cache, as the Kubernetes API server keeps one: one etcd watch over the whole prefix (from
 * a little before the store opened, so recent history can be replayed), every change kept as a ChangeRecord in a
 * ring of `historyLimit` entries and handed to `onChange` in revision order. `watch()` on the store is then
 * synchronous, as the Store contract wants, and one etcd watch serves every watcher of this hub.
 *
 * The replay is known to be complete when the watch delivers the marker the store wrote at open (`meta/opened`,
 * a value no other opener writes): everything before it in revision order has been seen.
 */
export interface EtcdHistory {
  /** Resolves once the replay has reached the open marker. */
  ready: Promise<void>;
  /** Changes after this revision are all kept (a watch from an older one gets RevisionCompactedError). */
  compacted(): number;
  /** The newest revision seen. */
  head(): number;
  /** Resolves once the cache has seen `revision` (or after `timeoutMs`, resolving false). */
  reached(revision: number, timeoutMs: number): Promise<boolean>;
  /** The kept changes after `from` matching `options`, in revision order; throws RevisionCompactedError. */
  backlog(options: WatchOptions, from: number): ChangeRecord[];
  /** Forget everything up to `revision` (bumpRevision: older watches must re-list). */
  compactTo(revision: number): void;
  close(): Promise<void>;
}

export interface EtcdHistoryOptions {
  client: Etcd3;
  keys: EtcdKeys;
  historyLimit: number;
  /** The open marker: its value and the revision its put got. */
  marker: { value: string; revision: number };
  logger: Logger;
  onChange(change: ChangeRecord): void;
}

const COMPACTED = /compacted/i;

export async function openEtcdHistory(opts: EtcdHistoryOptions): Promise<EtcdHistory> {
  const { client, keys, logger: log } = opts;
  const ring: ChangeRecord[] = [];
  let compacted = 0;
  let head = 0;
  let watcher: Watcher | undefined;
  let closed = false;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const waiters = new Set<{ revision: number; resolve: (ok: boolean) => void }>();
  const advance = (revision: number): void => {
    if (revision <= head) return;
    head = revision;
    for (const w of waiters) {
      if (w.revision <= head) {
        waiters.delete(w);
        w.resolve(true);
      }
    }
  };

  const record = (event: IEvent): void => {
    const etcdKey = event.kv.key.toString('utf8');
    const revision = Number(event.kv.mod_revision);
    if (etcdKey === keys.meta('opened')) {
      if (event.type === 'Put' && event.kv.value.toString('utf8') === opts.marker.value) markReady();
      return;
    }
    const key = keys.parse(etcdKey);
    if (!key) return;
    const source = event.type === 'Delete' ? event.prev_kv?.value : event.kv.value;
    if (!source) {
      log.error({ key: etcdKey, revision }, 'etcd delete event without the previous value: the change is not delivered to watches');
      return;
    }
    const object = JSON.parse(source.toString('utf8')) as StoredObject;
    object.metadata.resourceVersion = String(revision);
    const type = event.type === 'Delete' ? 'DELETED' : event.kv.create_revision === event.kv.mod_revision ? 'ADDED' : 'MODIFIED';
    const change: ChangeRecord = { type, revision, ...key, json: JSON.stringify(object) };
    ring.push(change);
    if (ring.length > opts.historyLimit) compacted = ring.splice(0, ring.length - opts.historyLimit).at(-1)!.revision;
    opts.onChange(change);
  };

  const start = async (from: number): Promise<void> => {
    compacted = Math.max(compacted, from - 1);
    const w = await client.watch().prefix(keys.prefix).startRevision(String(from)).withPreviousKV().create();
    watcher = w;
    w.on('data', (res) => {
      for (const event of res.events) record(event);
      // after the changes are published: a write waiting on its revision resolves once its watchers have it queued
      for (const event of res.events) advance(Number(event.kv.mod_revision));
    });
    w.on('disconnected', (err: Error) => log.warn({ err: err.message }, 'etcd watch disconnected; resuming from the last revision seen'));
    w.on('error', (err: Error) => {
      if (closed || w !== watcher) return;
      if (COMPACTED.test(err.message)) {
        // history is gone in etcd (compacted while we were away): keep only what comes from now on
        log.error({ err: err.message, from, head }, 'etcd compacted the history this hub was replaying; watches from before now get 410 and re-list');
        void w.cancel();
        ring.length = 0;
        compacted = Math.max(head, opts.marker.revision);
        void start(compacted + 1).then(() => markReady(), (e: unknown) => log.error({ err: e }, 'could not restart the etcd watch'));
        return;
      }
      log.error({ err: err.message }, 'etcd watch failed');
    });
  };

  await start(Math.max(1, opts.marker.revision - opts.historyLimit));
  return {
    ready,
    compacted: () => compacted,
    head: () => head,
    backlog(options, from) {
      if (from < compacted) throw new RevisionCompactedError(from, compacted + 1);
      let lo = 0;
      let hi = ring.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ring[mid]!.revision <= from) lo = mid + 1;
        else hi = mid;
      }
      const out: ChangeRecord[] = [];
      for (let i = lo; i < ring.length; i++) if (matchesWatch(options, ring[i]!)) out.push(ring[i]!);
      return out;
    },
    reached(revision, timeoutMs) {
      if (revision <= head || closed) return Promise.resolve(revision <= head);
      return new Promise((resolve) => {
        const waiter = { revision, resolve };
        waiters.add(waiter);
        setTimeout(() => {
          if (waiters.delete(waiter)) resolve(false);
        }, timeoutMs).unref();
      });
    },
    compactTo(revision) {
      if (revision <= compacted) return;
      compacted = revision;
      let drop = 0;
      while (drop < ring.length && ring[drop]!.revision <= revision) drop++;
      ring.splice(0, drop);
    },
    async close() {
      closed = true;
      for (const w of waiters) w.resolve(false);
      waiters.clear();
      await watcher?.cancel();
    },
  };
}
