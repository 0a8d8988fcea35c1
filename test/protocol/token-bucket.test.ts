import { describe, expect, it } from 'vitest';
import { createTokenBucket } from '../../protocol/token-bucket.js';

describe('createTokenBucket', () => {
  it('starts full, refuses what it does not hold, and takes nothing on a refusal', () => {
    const b = createTokenBucket({ capacity: 10, ratePerSecond: 2, now: 0 });
    expect(b.take(10, 0)).toBe(true);
    expect(b.take(1, 0)).toBe(false);
    expect(b.level(0)).toBe(0);
    expect(b.take(1, 499)).toBe(false);
    expect(b.take(1, 500)).toBe(true);
  });

  it('refills up to its capacity, never beyond', () => {
    const b = createTokenBucket({ capacity: 3, ratePerSecond: 100, now: 0 });
    b.take(3, 0);
    expect(b.level(60_000)).toBe(3);
  });

  it('refills exactly one token every refillEveryMs', () => {
    const b = createTokenBucket({ capacity: 1, refillEveryMs: 300_000, now: 0 });
    expect(b.take(1, 0)).toBe(true);
    expect(b.take(1, 299_999)).toBe(false);
    expect(b.take(1, 300_000)).toBe(true);
  });

  it('a clock that goes back refills nothing', () => {
    const b = createTokenBucket({ capacity: 2, ratePerSecond: 1, now: 10_000 });
    b.take(2, 10_000);
    expect(b.level(5_000)).toBe(0);
    expect(b.level(11_000)).toBe(1);
  });
});
