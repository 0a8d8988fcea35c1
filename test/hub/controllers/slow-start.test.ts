import { describe, expect, it } from 'vitest';
import { slowStartBatch } from '../../../hub/controllers/slow-start.js';

/** A call that records which batch (run of synchronous calls) it was made in. */
function recorder(fail?: (n: number) => boolean) {
  const batches: number[] = [];
  let open = false;
  let calls = 0;
  const call = async (): Promise<number> => {
    if (!open) {
      open = true;
      batches.push(0);
      queueMicrotask(() => (open = false));
    }
    batches[batches.length - 1]!++;
    const n = ++calls;
    await Promise.resolve();
    if (fail?.(n)) throw new Error(`call ${n} failed`);
    return n;
  };
  return { batches, call };
}

describe('slowStartBatch', () => {
  it('doubles from one up to maxBatch and says where the next run may start', async () => {
    const r = recorder();
    const { done, nextBatch } = await slowStartBatch(20, 8, r.call);
    expect(done).toHaveLength(20);
    expect(r.batches).toEqual([1, 2, 4, 8, 5]);
    expect(nextBatch).toBe(8);
  });

  it('resumes at firstBatch (capped at maxBatch)', async () => {
    const r = recorder();
    const { done, nextBatch } = await slowStartBatch(10, 4, r.call, 64);
    expect(done).toHaveLength(10);
    expect(r.batches).toEqual([4, 4, 2]);
    expect(nextBatch).toBe(4);
  });

  it('stops after the first batch with a failure and throws it', async () => {
    const r = recorder((n) => n === 2);
    await expect(slowStartBatch(100, 500, r.call)).rejects.toThrow('call 2 failed');
    // batch 1 (call 1) succeeded, batch 2 (calls 2 and 3) had the failure: nothing after it
    expect(r.batches).toEqual([1, 2]);
  });
});
