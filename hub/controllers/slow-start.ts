/**
 * Kubernetes' slowStartBatch: do `count` calls in batches of 1, 2, 4, 8, ... (at most `maxBatch`),
 * each batch at once, stopping after the first batch in which a call failed. A template that cannot
 * be created costs one failed call, not `count`; one that can is created in a handful of rounds,
 * which the store commits a transaction each.
 *
 * `firstBatch` starts the doubling further up: a controller whose previous batches all succeeded for the
 * same object resumes at the size it had reached (`nextBatch` of the result) instead of at 1, so a large
 * ReplicaSet is created in bursts of `maxBatch`, one transaction each, after its first reconcile.
 */
export interface SlowStartResult<T> {
  done: T[];
  /** The size the next batch would have had: where a following slowStartBatch for the same object may start. */
  nextBatch: number;
}

export async function slowStartBatch<T>(count: number, maxBatch: number, call: () => Promise<T>, firstBatch = 1): Promise<SlowStartResult<T>> {
  const done: T[] = [];
  let size = Math.max(1, Math.min(firstBatch, maxBatch));
  while (done.length < count) {
    const n = Math.min(size, count - done.length, maxBatch);
    const results = await Promise.allSettled(Array.from({ length: n }, () => call()));
    let failure: PromiseRejectedResult | undefined;
    for (const r of results) {
      if (r.status === 'fulfilled') done.push(r.value);
      else failure ??= r;
    }
    if (failure) throw failure.reason;
    size = Math.min(size * 2, maxBatch);
  }
  return { done, nextBatch: size };
}
