import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/index.js';
import { createReconcileLoop, type ReconcileLoop } from '../../../hub/controllers/reconcile-loop.js';
import { ConflictError } from '../../../hub/store/errors.js';
import { until } from './workload-support.js';

let loop: ReconcileLoop | undefined;
afterEach(async () => {
  await loop?.stop();
  loop = undefined;
});

describe('reconcile loop', () => {
  it('deduplicates keys, reconciles one at a time, and queues every key at start and on resync', async () => {
    const seen: string[] = [];
    let running = 0;
    let maxRunning = 0;
    let keys = ['a', 'b'];
    loop = createReconcileLoop({
      name: 'test',
      logger: silentLogger(),
      resyncMs: 50,
      listKeys: async () => keys,
      reconcile: async (key) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        seen.push(key);
        running--;
      },
    });
    await loop.start();
    loop.enqueue('a');
    loop.enqueue('a');
    await loop.idle();
    expect(seen.slice(0, 2)).toEqual(['a', 'b']);
    expect(maxRunning).toBe(1);
    keys = ['c'];
    await until('a resync', async () => seen.includes('c'));
  });

  it('retries a conflict soon and another failure with back-off, until it succeeds', async () => {
    const attempts: number[] = [];
    loop = createReconcileLoop({
      name: 'test',
      logger: silentLogger(),
      listKeys: async () => [],
      reconcile: async () => {
        attempts.push(Date.now());
        if (attempts.length === 1) throw new ConflictError({ kind: 'Pod', namespace: 'default', name: 'x' }, '1', '2');
        if (attempts.length === 2) throw new Error('boom');
      },
    });
    await loop.start();
    loop.enqueue('k');
    await until('three attempts', async () => attempts.length === 3, 5000);
    expect(attempts[2]! - attempts[1]!).toBeGreaterThanOrEqual(900);
    await new Promise((r) => setTimeout(r, 100));
    expect(attempts).toHaveLength(3);
  });

  it('requeueAfter keeps the earliest request', async () => {
    const seen: string[] = [];
    loop = createReconcileLoop({ name: 'test', logger: silentLogger(), listKeys: async () => [], reconcile: async (key) => void seen.push(key) });
    await loop.start();
    loop.requeueAfter('k', 60_000);
    loop.requeueAfter('k', 30);
    // Only the 30 ms request can fire within the wait (the 60 s one would time the wait out).
    await until('requeued', async () => seen.length === 1, 10_000);
    expect(seen).toHaveLength(1);
  });
});
