/**
 * The level-triggered work loop every controller runs on (Kubernetes' workqueue + resync, small):
 * cache subscriptions `enqueue(key)`; keys are deduplicated and reconciled `concurrency` at a time (one
 * by default; never one key twice at once), each from a fresh read of its own object in the store (what it owns comes from the informer cache); a reconcile that fails is retried with back-off (a write conflict soon, anything
 * else 1 s doubling to 30 s); `requeueAfter(key, ms)` re-checks a key later (minReadySeconds,
 * progress deadlines); and every `resyncMs` all keys are listed and queued again, so a missed or
 * mishandled event never matters.
 */
import type { Logger } from '../../protocol/index.js';
import { ConflictError } from '../store/errors.js';
import type { Controller } from './controller.js';
import { ReconcileError } from './errors.js';

export const DEFAULT_RESYNC_MS = 10_000;
const CONFLICT_RETRY_MS = 20;
const ERROR_BACKOFF_MS = 1000;
const MAX_ERROR_BACKOFF_MS = 30_000;
/** With a minimum interval: a key waits at least this many times its last reconcile's duration. */
export const BUSY_FACTOR = 4;
/** The longest wait the duration of a reconcile imposes (the minimum interval itself may be longer). */
export const MAX_ADAPTIVE_INTERVAL_MS = 5_000;

export interface ReconcileLoopOptions {
  name: string;
  logger: Logger;
  /** Bring `key` to its desired state. Must tolerate the object being gone. */
  reconcile(key: string): Promise<void>;
  /** Every key the controller owns, for the periodic resync. */
  listKeys(): Promise<string[]>;
  resyncMs?: number;
  /**
   * A key whose last reconcile started less than this long ago waits for the rest before it runs
   * again (default 0). For controllers whose reconcile reads many objects (a ReplicaSet's or a
   * Deployment's every pod): under a storm of events they run at most this often per key, however
   * many events come, instead of back to back. The wait grows with the reconcile: a key waits at least
   * BUSY_FACTOR times as long as its last reconcile took (at most MAX_ADAPTIVE_INTERVAL_MS), so a
   * ReplicaSet of 10,000 pods, whose every reconcile counts them all, keeps its controller busy a
   * bounded share of the time however slow the machine. Work a reconcile leaves for the next one
   * (`continueNow`: a ReplicaSet creating its next burst of pods) does not wait.
   */
  minIntervalMs?: number;
  /**
   * How many keys are reconciled at once (default 1), as Kubernetes' controllers run several workers;
   * one key is never reconciled twice at the same time (an event during its reconcile runs it again
   * after).
   */
  concurrency?: number;
  /** Milliseconds for the minimum interval and reconcile durations (default Date.now; tests pass a fake). */
  now?: () => number;
}

export interface ReconcileLoop {
  enqueue(key: string): void;
  /**
   * Queue `key` again without waiting out the minimum interval: work the current reconcile left for the
   * next one (a ReplicaSet's pods beyond one burst), not a reaction to events.
   */
  continueNow(key: string): void;
  /** Reconcile `key` again after `ms` (the earliest request wins). */
  requeueAfter(key: string, ms: number): void;
  /** Queue every key now and every resyncMs from now on. */
  start(): Promise<void>;
  /** Stop timers and wait for the reconciles in progress. Idempotent. */
  stop(): Promise<void>;
  /** Resolves once the queue is empty and nothing is running (tests). */
  idle(): Promise<void>;
}

export function createReconcileLoop(opts: ReconcileLoopOptions): ReconcileLoop {
  const { logger, name } = opts;
  const resyncMs = opts.resyncMs ?? DEFAULT_RESYNC_MS;
  const queue = new Set<string>();
  const delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  const failures = new Map<string, number>();
  const minIntervalMs = opts.minIntervalMs ?? 0;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const now = opts.now ?? Date.now;
  /** key -> when its last reconcile started (only kept with a minimum interval). */
  const lastStart = new Map<string, number>();
  /** key -> how long it must wait after its last start (minIntervalMs, or more after a long reconcile). */
  const interval = new Map<string, number>();
  /** Keys being reconciled now. */
  const inFlight = new Set<string>();
  /** Keys queued by continueNow: their next reconcile skips the minimum interval. */
  const continuing = new Set<string>();
  const workers = new Set<Promise<void>>();
  let running = false;
  let stopped = false;
  let resyncTimer: NodeJS.Timeout | undefined;
  let idleWaiters: (() => void)[] = [];

  const notifyIdle = (): void => {
    if (workers.size > 0 || queue.size > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const w of waiters) w();
  };

  function enqueue(key: string): void {
    if (stopped) return;
    queue.add(key);
    kick();
  }

  function requeueAfter(key: string, ms: number): void {
    if (stopped) return;
    const at = Date.now() + ms;
    const existing = delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      delayed.delete(key);
      enqueue(key);
    }, Math.max(0, ms));
    timer.unref();
    delayed.set(key, { at, timer });
  }

  async function processOne(key: string): Promise<void> {
    try {
      await opts.reconcile(key);
      failures.delete(key);
    } catch (err) {
      const n = (failures.get(key) ?? 0) + 1;
      failures.set(key, n);
      if (err instanceof ConflictError) {
        logger.debug({ key, attempt: n }, 'object changed under a write; reconciling again');
        requeueAfter(key, CONFLICT_RETRY_MS * Math.min(n, 50));
        return;
      }
      const delay = Math.min(ERROR_BACKOFF_MS * 2 ** (n - 1), MAX_ERROR_BACKOFF_MS);
      logger.error({ err: new ReconcileError(name, key, { cause: err }), key, retryInMs: delay }, 'reconcile failed; retrying');
      requeueAfter(key, delay);
    }
  }

  /** The first queued key nobody is reconciling, taken off the queue. */
  function takeKey(): string | undefined {
    for (const key of queue) {
      if (inFlight.has(key)) continue;
      queue.delete(key);
      return key;
    }
    return undefined;
  }

  async function work(): Promise<void> {
    for (let key = takeKey(); running && key !== undefined; key = takeKey()) {
      const continued = continuing.delete(key);
      if (minIntervalMs > 0) {
        const wait = continued ? 0 : (lastStart.get(key) ?? Number.NEGATIVE_INFINITY) + (interval.get(key) ?? minIntervalMs) - now();
        if (wait > 0) {
          requeueAfter(key, wait);
          continue;
        }
        lastStart.set(key, now());
      }
      inFlight.add(key);
      const started = now();
      try {
        await processOne(key);
      } finally {
        inFlight.delete(key);
        if (minIntervalMs > 0) interval.set(key, Math.max(minIntervalMs, Math.min(BUSY_FACTOR * (now() - started), MAX_ADAPTIVE_INTERVAL_MS)));
      }
    }
  }

  /** How many queued keys nobody is reconciling, counting up to `limit` (at most `concurrency` keys are skipped). */
  function runnable(limit: number): number {
    let n = 0;
    for (const key of queue) {
      if (n >= limit) break;
      if (!inFlight.has(key)) n++;
    }
    return n;
  }

  /** Start workers for the keys that can run now, up to `concurrency` in all. */
  function kick(): void {
    if (!running) return;
    for (let n = runnable(concurrency - workers.size); n > 0; n--) {
      const worker: Promise<void> = work().finally(() => {
        workers.delete(worker);
        // a key queued again while another worker had it in flight
        if (running && runnable(1) > 0) kick();
        notifyIdle();
      });
      workers.add(worker);
    }
  }

  async function resync(): Promise<void> {
    try {
      for (const key of await opts.listKeys()) enqueue(key);
    } catch (err) {
      logger.error({ err }, 'resync failed to list keys; trying again at the next resync');
    }
  }

  function scheduleResync(): void {
    if (stopped) return;
    resyncTimer = setTimeout(() => {
      void resync().finally(scheduleResync);
    }, resyncMs);
    resyncTimer.unref();
  }

  return {
    enqueue,
    continueNow(key) {
      if (stopped) return;
      continuing.add(key);
      enqueue(key);
    },
    requeueAfter,
    async start() {
      if (running || stopped) return;
      running = true;
      await resync();
      scheduleResync();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      running = false;
      if (resyncTimer) clearTimeout(resyncTimer);
      for (const d of delayed.values()) clearTimeout(d.timer);
      delayed.clear();
      queue.clear();
      continuing.clear();
      await Promise.all([...workers]);
      notifyIdle();
    },
    idle() {
      if (workers.size === 0 && queue.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

/** "namespace/name", the key of a namespaced object in a controller's queue. */
export function objectKey(obj: { metadata: { namespace?: string; name: string } }): string {
  return `${obj.metadata.namespace ?? 'default'}/${obj.metadata.name}`;
}

export function splitObjectKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * The Controller around a loop: `subscribe` reads what it needs from the cache and subscribes to its
 * changes (returning the unsubscribe functions), then the loop starts; stop unsubscribes and drains.
 */
export function loopController(loop: ReconcileLoop, logger: Logger, subscribe: () => Array<() => void>): Controller {
  let subscriptions: Array<() => void> = [];
  return {
    async start() {
      subscriptions = subscribe();
      await loop.start();
      logger.info('controller started');
    },
    async stop() {
      for (const unsubscribe of subscriptions) unsubscribe();
      subscriptions = [];
      await loop.stop();
    },
  };
}
