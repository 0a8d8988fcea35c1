import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffDelay, createSchedulingQueue } from '../../../hub/scheduler/queue.js';

describe('scheduling queue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('back-off doubles from 1 s up to 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, 1000, 60_000))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
  });

  it('hands out active keys first in, first out, once each', () => {
    let signals = 0;
    const q = createSchedulingQueue({ onActive: () => signals++ });
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(signals).toBe(2);
    expect([q.next(), q.next(), q.next()]).toEqual(['ns/a', 'ns/b', undefined]);
    q.close();
  });

  it('a backing-off key becomes active after its delay, doubling each time', () => {
    const q = createSchedulingQueue({ onActive: () => undefined });
    expect(q.backoff('ns/a')).toBe(1000);
    expect(q.isBackingOff('ns/a')).toBe(true);
    vi.advanceTimersByTime(999);
    expect(q.isActive('ns/a')).toBe(false);
    vi.advanceTimersByTime(1);
    expect(q.isActive('ns/a')).toBe(true);
    expect(q.next()).toBe('ns/a');
    expect(q.backoff('ns/a')).toBe(2000);
    vi.advanceTimersByTime(1999);
    expect(q.next()).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(q.next()).toBe('ns/a');
    q.close();
  });

  it('a cluster event makes every backing-off key active at once, keeping the attempt count', () => {
    const q = createSchedulingQueue({ onActive: () => undefined });
    q.backoff('ns/a');
    q.backoff('ns/b');
    q.moveAllToActive();
    expect(q.backingOffCount).toBe(0);
    expect([q.next(), q.next()]).toEqual(['ns/a', 'ns/b']);
    expect(q.backoff('ns/a')).toBe(2000);
    q.close();
  });

  it('forget drops the key and its attempts; close cancels timers', () => {
    const q = createSchedulingQueue({ onActive: () => undefined, initialBackoffMs: 10 });
    q.backoff('ns/a');
    q.forget('ns/a');
    expect(q.isBackingOff('ns/a')).toBe(false);
    expect(q.backoff('ns/a')).toBe(10);
    q.close();
    vi.advanceTimersByTime(1000);
    expect(q.next()).toBeUndefined();
  });
});
