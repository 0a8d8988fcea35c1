import type { Logger } from '../../protocol/logger.js';
import type { RawWatchEvent, StoredObject, Watch, WatchEvent, WatchOptions } from './store.js';

/** One change as the store records it: the object is kept as JSON text and parsed per delivery. */
export type ChangeRecord = RawWatchEvent;

type Handler = (event: WatchEvent) => void;
type RawHandler = (event: RawWatchEvent) => void;

/** A watcher gets parsed objects (its own copy each) or the recorded JSON text as it is. */
type Delivery = { raw: false; handler: Handler } | { raw: true; handler: RawHandler };

interface Watcher {
  id: number;
  options: WatchOptions;
  delivery: Delivery;
  queue: ChangeRecord[];
  draining: boolean;
  closed: boolean;
}

export interface WatcherRegistry {
  /**
   * Register a watcher. `backlog` (already filtered, in revision order) is delivered first, then every
   * change passed to publish() that matches. Delivery is asynchronous (never inside the caller's stack).
   */
  add(options: WatchOptions, handler: Handler, backlog: ChangeRecord[]): Watch;
  /** add(), delivering the recorded JSON text unparsed. */
  addRaw(options: WatchOptions, handler: RawHandler, backlog: ChangeRecord[]): Watch;
  /** Queue a committed change for every matching watcher. */
  publish(change: ChangeRecord): void;
  /** Close every watcher. */
  closeAll(): void;
  size(): number;
}

export function matchesWatch(options: WatchOptions, change: Pick<ChangeRecord, 'kind' | 'namespace'>): boolean {
  if (options.kind !== undefined && options.kind !== change.kind) return false;
  if (options.namespace !== undefined && options.namespace !== change.namespace) return false;
  return true;
}

/**
 * Fan-out of store changes to watchers. Each watcher has its own queue, drained in revision order on
 * a microtask; each delivery gets its own parsed copy of the object. A handler that throws (or returns
 * a rejected promise) is logged; the watcher keeps receiving, and other watchers and the writer are
 * unaffected.
 */
export function createWatcherRegistry(opts: { logger: Logger }): WatcherRegistry {
  const log = opts.logger;
  const watchers = new Map<number, Watcher>();
  let nextId = 1;

  const deliver = (w: Watcher, change: ChangeRecord): void => {
    try {
      const result = (
        w.delivery.raw
          ? w.delivery.handler(change)
          : w.delivery.handler({ type: change.type, object: JSON.parse(change.json) as StoredObject, revision: change.revision })
      ) as unknown;
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        (result as Promise<unknown>).then(undefined, (err: unknown) => logHandlerError(w, change, err));
      }
    } catch (err) {
      logHandlerError(w, change, err);
    }
  };

  const logHandlerError = (w: Watcher, change: ChangeRecord, err: unknown): void => {
    log.error(
      { err, watcher: w.id, kind: change.kind, namespace: change.namespace, name: change.name, revision: change.revision },
      'watch handler failed; continuing with the next event',
    );
  };

  const drain = (w: Watcher): void => {
    while (!w.closed && w.queue.length > 0) {
      deliver(w, w.queue.shift()!);
    }
    w.draining = false;
  };

  const schedule = (w: Watcher): void => {
    if (w.draining || w.closed) return;
    w.draining = true;
    queueMicrotask(() => drain(w));
  };

  const close = (w: Watcher): void => {
    if (w.closed) return;
    w.closed = true;
    w.queue.length = 0;
    watchers.delete(w.id);
  };

  const register = (options: WatchOptions, delivery: Delivery, backlog: ChangeRecord[]): Watch => {
    const w: Watcher = { id: nextId++, options: { ...options }, delivery, queue: [...backlog], draining: false, closed: false };
    watchers.set(w.id, w);
    if (w.queue.length > 0) schedule(w);
    return { close: () => close(w) };
  };

  return {
    add: (options, handler, backlog) => register(options, { raw: false, handler }, backlog),
    addRaw: (options, handler, backlog) => register(options, { raw: true, handler }, backlog),
    publish(change) {
      for (const w of watchers.values()) {
        if (!matchesWatch(w.options, change)) continue;
        w.queue.push(change);
        schedule(w);
      }
    },
    closeAll() {
      for (const w of [...watchers.values()]) close(w);
    },
    size: () => watchers.size,
  };
}
