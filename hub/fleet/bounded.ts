/**
 * `forEachBounded`: one async task per item, at most `limit` at once (the desired and network
 * publishers: a flush of thousands of nodes is not one publish after another, waiting on each node's
 * socket, nor thousands at once). Yields to the event loop every `yieldEvery` tasks started, stops
 * starting tasks once `stopped()` says so, and returns the items whose task failed, with the error.
 */
export interface BoundedOptions {
  /** Tasks in flight at most (at least 1). */
  limit: number;
  /** Let the event loop run after every this many tasks started (0: never). */
  yieldEvery?: number;
  stopped?: () => boolean;
}

export interface BoundedFailure<T> {
  item: T;
  err: unknown;
}

export async function forEachBounded<T>(items: readonly T[], opts: BoundedOptions, task: (item: T) => Promise<void>): Promise<BoundedFailure<T>[]> {
  const failures: BoundedFailure<T>[] = [];
  const yieldEvery = opts.yieldEvery ?? 0;
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length && !opts.stopped?.()) {
      const item = items[next++] as T;
      if (yieldEvery > 0 && next % yieldEvery === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (opts.stopped?.()) return;
      }
      try {
        await task(item);
      } catch (err) {
        failures.push({ item, err });
      }
    }
  }
  const workers = Math.min(Math.max(1, opts.limit), items.length);
  await Promise.all(Array.from({ length: workers }, worker));
  return failures;
}
