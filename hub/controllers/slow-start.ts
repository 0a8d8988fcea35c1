/**
 * Kubernetes' slowStartBatch: do `count` calls in batches of 1, 2, 4, 8, ... (at most `maxBatch`),
 * each batch at once, stopping after the first batch in which a call failed. A template that cannot
 * be created costs one failed call, not `count`; one that can is created in a handful of rounds,
 * which the store commits a transaction each.
 */
export async function slowStartBatch<T>(count: number, maxBatch: number, call: () => Promise<T>): Promise<T[]> {
  const done: T[] = [];
  let size = 1;
  while (done.length < count) {
    const n = Math.min(size, count - done.length, maxBatch);
    const results = await Promise.allSettled(Array.from({ length: n }, () => call()));
    let failure: PromiseRejectedResult | undefined;
    for (const r of results) {
      if (r.status === 'fulfilled') done.push(r.value);
      else failure ??= r;
    }
    if (failure) throw failure.reason;
    size *= 2;
  }
  return done;
}
