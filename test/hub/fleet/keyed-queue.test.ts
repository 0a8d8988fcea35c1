import { describe, expect, it } from 'vitest';
import { createKeyedQueue } from '../../../hub/fleet/keyed-queue.js';

describe('keyed queue', () => {
  it('runs tasks of one key in order, reports errors and keeps going', async () => {
    const errors: unknown[] = [];
    const q = createKeyedQueue((_k, err) => errors.push(err));
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    void q.run('a', async () => {
      await gate;
      order.push('a1');
    });
    void q.run('a', async () => {
      throw new Error('boom');
    });
    void q.run('a', async () => void order.push('a2'));
    await q.run('b', async () => void order.push('b1'));
    expect(order).toEqual(['b1']);
    release();
    await q.idle();
    expect(order).toEqual(['b1', 'a1', 'a2']);
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
  });
});
