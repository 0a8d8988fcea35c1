import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/index.js';
import { BUSY_FACTOR, createReconcileLoop, MAX_ADAPTIVE_INTERVAL_MS, type ReconcileLoop } from '../../../hub/controllers/reconcile-loop.js';
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

  it('with a minimum interval, reconciles a key once for a storm of 100 events', async () => {
    const seen: string[] = [];
    loop = createReconcileLoop({ name: 'test', logger: silentLogger(), listKeys: async () => [], minIntervalMs: 2000, reconcile: async (key) => void seen.push(key) });
    await loop.start();
    loop.enqueue('rs');
    await loop.idle();
    expect(seen).toEqual(['rs']);
    // 100 events, each in its own turn of the event loop, within the interval
    for (let i = 0; i < 100; i++) {
      loop.enqueue('rs');
      await new Promise((r) => setImmediate(r));
    }
    expect(seen).toEqual(['rs']);
    await until('the coalesced reconcile', async () => seen.length === 2, 10_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['rs', 'rs']);
  });

  it('continueNow runs the key again at once, past the minimum interval, and only then', async () => {
    const seen: string[] = [];
    loop = createReconcileLoop({
      name: 'test',
      logger: silentLogger(),
      listKeys: async () => [],
      minIntervalMs: 3_600_000,
      reconcile: async (key) => {
        seen.push(key);
        // work left over (a ReplicaSet's next burst), twice
        if (seen.length < 3) loop!.continueNow(key);
      },
    });
    await loop.start();
    loop.enqueue('rs');
    await until('three reconciles', async () => seen.length === 3, 10_000);
    await loop.idle();
    // an ordinary event within the interval still waits for it
    loop.enqueue('rs');
    await loop.idle();
    expect(seen).toEqual(['rs', 'rs', 'rs']);
  });

  it('with a minimum interval, a key waits BUSY_FACTOR times as long as its last reconcile took', async () => {
    let now = 1_000_000;
    const seen: string[] = [];
    loop = createReconcileLoop({
      name: 'test',
      logger: silentLogger(),
      listKeys: async () => [],
      minIntervalMs: 1,
      now: () => now,
      reconcile: async (key) => {
        seen.push(key);
        now += 1000; // a reconcile that took a second
      },
    });
    await loop.start();
    loop.enqueue('rs');
    await loop.idle();
    // 1 ms of minimum interval alone would run it again now; after a 1 s reconcile it waits 4 s
    now += 10;
    loop.enqueue('rs');
    await loop.idle();
    expect(seen).toEqual(['rs']);
    expect(BUSY_FACTOR * 1000).toBeLessThanOrEqual(MAX_ADAPTIVE_INTERVAL_MS);
    now += BUSY_FACTOR * 1000;
    loop.continueNow('other');
    await until('the other key', async () => seen.includes('other'), 10_000);
    expect(seen[0]).toBe('rs');
  });

  it('runs up to `concurrency` keys at once, never one key twice at once', async () => {
    const running = new Set<string>();
    let maxRunning = 0;
    let overlapped = false;
    const done: string[] = [];
    const release: Array<() => void> = [];
    loop = createReconcileLoop({
      name: 'test',
      logger: silentLogger(),
      listKeys: async () => [],
      concurrency: 4,
      reconcile: async (key) => {
        if (running.has(key)) overlapped = true;
        running.add(key);
        maxRunning = Math.max(maxRunning, running.size);
        await new Promise<void>((r) => release.push(r));
        running.delete(key);
        done.push(key);
      },
    });
    await loop.start();
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) loop.enqueue(key);
    await until('four at once', async () => running.size === 4);
    // an event for a key in flight: it runs again afterwards, not alongside
    loop.enqueue('a');
    while (done.length < 7) {
      release.splice(0).forEach((r) => r());
      await new Promise((r) => setTimeout(r, 5));
    }
    await loop.idle();
    expect(maxRunning).toBe(4);
    expect(overlapped).toBe(false);
    expect(done.sort()).toEqual(['a', 'a', 'b', 'c', 'd', 'e', 'f']);
  });
});
