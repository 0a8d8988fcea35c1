import { describe, expect, it } from 'vitest';
import { createEvictionLimiter, disruptionState, STOPPED_RECHECK_MS } from '../../../../hub/controllers/node-lifecycle/eviction-limiter.js';

describe('eviction limiter', () => {
  it('tells normal, partial (more than 2 and at least 55 % not Ready) and full disruption (none Ready) apart', () => {
    expect(disruptionState({ ready: 10, notReady: 0 })).toBe('normal');
    expect(disruptionState({ ready: 500, notReady: 500 })).toBe('normal');
    expect(disruptionState({ ready: 450, notReady: 550 })).toBe('partial');
    // two of three down is not a disruption, three of four is
    expect(disruptionState({ ready: 1, notReady: 2 })).toBe('normal');
    expect(disruptionState({ ready: 1, notReady: 3 })).toBe('partial');
    expect(disruptionState({ ready: 0, notReady: 1 })).toBe('full');
    expect(disruptionState({ ready: 0, notReady: 0 })).toBe('normal');
    expect(disruptionState({ ready: 6, notReady: 4 }, 0.4)).toBe('partial');
  });

  it('admits nodes at the normal rate with one second of burst, then one per 1/rate', () => {
    let now = 1_000_000;
    const limiter = createEvictionLimiter({ clock: () => now, evictionRate: 4 });
    const fleet = { ready: 90, notReady: 10 };
    expect([1, 2, 3, 4].map(() => limiter.admit(fleet))).toEqual([0, 0, 0, 0]);
    expect(limiter.admit(fleet)).toBe(250);
    now += 250;
    expect(limiter.admit(fleet)).toBe(0);
    expect(limiter.admit(fleet)).toBe(250);
    // a long quiet time fills the bucket up to its burst only
    now += 60_000;
    expect([1, 2, 3, 4, 5].map(() => limiter.admit(fleet))).toEqual([0, 0, 0, 0, 250]);
  });

  it('slows down to the secondary rate under partial disruption of a large fleet, stops in a small one and in full disruption', () => {
    let now = 0;
    const limiter = createEvictionLimiter({ clock: () => now, evictionRate: 10, secondaryEvictionRate: 0.5, largeClusterThreshold: 50 });
    const large = { ready: 40, notReady: 60 };
    expect(limiter.rate(large)).toBe(0.5);
    expect(limiter.admit(large)).toBe(0);
    expect(limiter.admit(large)).toBe(2000);
    now += 2000;
    expect(limiter.admit(large)).toBe(0);
    const small = { ready: 4, notReady: 6 };
    expect(limiter.rate(small)).toBe(0);
    expect(limiter.admit(small)).toBe(STOPPED_RECHECK_MS);
    const cutOff = { ready: 0, notReady: 100 };
    expect(limiter.rate(cutOff)).toBe(0);
    expect(limiter.admit(cutOff)).toBe(STOPPED_RECHECK_MS);
    expect(limiter.rate({ ready: 90, notReady: 10 })).toBe(10);
  });
});
