import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../../../hub/fleet/bounded.js';

describe('forEachBounded', () => {
  it('runs every item, never more than `limit` at once, and returns the failures with their errors', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    const items = Array.from({ length: 50 }, (_, i) => i);
    const failures = await forEachBounded(items, { limit: 8, yieldEvery: 10 }, async (i) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      inFlight--;
      if (i % 10 === 3) throw new Error(`no ${i}`);
      done.push(i);
    });
    expect(most).toBe(8);
    expect(done.sort((a, b) => a - b)).toEqual(items.filter((i) => i % 10 !== 3));
    expect(failures.map((f) => [f.item, (f.err as Error).message])).toEqual([3, 13, 23, 33, 43].map((i) => [i, `no ${i}`]));
  });

  it('one task that never ends holds up only its own slot', async () => {
    const done: string[] = [];
    let release!: () => void;
    const stuck = new Promise<void>((r) => (release = r));
    const all = forEachBounded(['slow', 'a', 'b', 'c'], { limit: 2 }, async (item) => {
      if (item === 'slow') await stuck;
      done.push(item);
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toEqual(['a', 'b', 'c']);
    release();
    await all;
    expect(done).toEqual(['a', 'b', 'c', 'slow']);
  });

  it('starts nothing more once stopped', async () => {
    const done: number[] = [];
    await forEachBounded([1, 2, 3, 4, 5], { limit: 1, stopped: () => done.length >= 2 }, async (i) => void done.push(i));
    expect(done).toEqual([1, 2]);
  });
});
