/**
 * The scheduling queue: pods waiting for a decision (active, first in first out) and pods that did not
 * fit, each waiting out its back-off (1 s doubling to 60 s by default) before it is active again. A
 * cluster event (a node added or changed, a pod gone) makes every waiting pod active at once; the
 * attempt count is kept, so the next failure backs off further.
 */
export interface SchedulingQueue {
  /** Make `key` active (no-op when it already is). Cancels any back-off wait. */
  add(key: string): void;
  /** Take the next active key. */
  next(): string | undefined;
  /** `key` did not fit: make it active again after its back-off. Returns the delay in ms. */
  backoff(key: string): number;
  /** A cluster event: every backing-off key becomes active now. */
  moveAllToActive(): void;
  /** Drop `key` entirely (bound, deleted, not ours), including its attempt count. */
  forget(key: string): void;
  isActive(key: string): boolean;
  isBackingOff(key: string): boolean;
  readonly activeCount: number;
  readonly backingOffCount: number;
  /** Cancel every timer; the queue does nothing afterwards. */
  close(): void;
}

export interface SchedulingQueueOptions {
  /** Called whenever a key becomes active. */
  onActive: () => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export function backoffDelay(attempts: number, initialMs: number, maxMs: number): number {
  return Math.min(initialMs * 2 ** Math.max(0, attempts - 1), maxMs);
}

export function createSchedulingQueue(opts: SchedulingQueueOptions): SchedulingQueue {
  const initial = opts.initialBackoffMs ?? 1000;
  const max = opts.maxBackoffMs ?? 60_000;
  const active = new Set<string>();
  const waiting = new Map<string, NodeJS.Timeout>();
  const attempts = new Map<string, number>();
  let closed = false;

  const cancelWait = (key: string): void => {
    const t = waiting.get(key);
    if (t !== undefined) {
      clearTimeout(t);
      waiting.delete(key);
    }
  };
  const activate = (key: string): void => {
    cancelWait(key);
    if (closed || active.has(key)) return;
    active.add(key);
    opts.onActive();
  };

  return {
    add: activate,
    next() {
      const first = active.values().next();
      if (first.done) return undefined;
      active.delete(first.value);
      return first.value;
    },
    backoff(key) {
      const n = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, n);
      const delay = backoffDelay(n, initial, max);
      cancelWait(key);
      active.delete(key);
      if (closed) return delay;
      const timer = setTimeout(() => {
        waiting.delete(key);
        activate(key);
      }, delay);
      timer.unref();
      waiting.set(key, timer);
      return delay;
    },
    moveAllToActive() {
      for (const key of [...waiting.keys()]) activate(key);
    },
    forget(key) {
      cancelWait(key);
      active.delete(key);
      attempts.delete(key);
    },
    isActive: (key) => active.has(key),
    isBackingOff: (key) => waiting.has(key),
    get activeCount() {
      return active.size;
    },
    get backingOffCount() {
      return waiting.size;
    },
    close() {
      closed = true;
      for (const t of waiting.values()) clearTimeout(t);
      waiting.clear();
      active.clear();
    },
  };
}
