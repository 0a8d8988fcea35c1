import { describe, expect, it } from 'vitest';
import { createNodeFlushQueue } from '../../../hub/fleet/node-flush-queue.js';
import { silentLogger } from '../../../protocol/index.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('node flush queue', () => {
  it('publishes marked nodes together, marks during a flush in the next one, and retries failures', async () => {
    const flushes: string[][] = [];
    let current: string[] = [];
    let failOnce = true;
    let release: (() => void) | undefined;
    const queue = createNodeFlushQueue({
      logger: silentLogger(),
      what: 'the test set',
      coalesceMs: 5,
      retryMs: 20,
      concurrency: 4,
      allNodes: () => ['a', 'b', 'c'],
      prepare: () => flushes.push((current = [])),
      publish: async (node) => {
        current.push(node);
        if (node === 'b' && failOnce) {
          failOnce = false;
          throw new Error('broker busy');
        }
        if (node === 'slow') await new Promise<void>((r) => (release = r));
      },
    });
    queue.mark('a');
    queue.mark('b');
    queue.mark('a');
    await queue.flush();
    expect(flushes[0]!.sort()).toEqual(['a', 'b']);
    // b failed: it is published again after retryMs
    await expect.poll(() => flushes.length, { timeout: 2000 }).toBe(2);
    expect(flushes[1]).toEqual(['b']);

    queue.mark('slow');
    const running = queue.flush();
    await tick(5);
    queue.mark('c'); // while "slow" is being published
    release!();
    await running;
    await expect.poll(() => flushes.at(-1), { timeout: 2000 }).toEqual(['c']);

    queue.markAll();
    await queue.flush();
    expect(flushes.at(-1)!.sort()).toEqual(['a', 'b', 'c']);
    await queue.stop();
    queue.mark('a');
    await tick(30);
    expect(flushes.at(-1)!.sort()).toEqual(['a', 'b', 'c']); // stopped: nothing more
  });
});
