import { describe, expect, it } from 'vitest';
import { groupPods, resourceReplicas, type PodFacts, type PodMetric } from '../../../../hub/controllers/hpa/replica-calculator.js';
import { MetricsUnavailableError } from '../../../../hub/controllers/errors.js';

const NOW = Date.parse('2026-03-01T10:00:00Z');
const HOUR = 3_600_000;

/** A Running, Ready pod started an hour ago with a CPU request of 1000m. */
function pod(name: string, extra: Partial<PodFacts> = {}): PodFacts {
  return { name, phase: 'Running', deleting: false, startTime: NOW - HOUR, ready: { status: 'True', lastTransitionTime: NOW - HOUR }, request: 1000, ...extra };
}
const m = (value: number, timestamp = NOW - 5000): PodMetric => ({ value, timestamp, windowMs: 15_000 });
const metrics = (entries: Record<string, number>): Map<string, PodMetric> => new Map(Object.entries(entries).map(([k, v]) => [k, m(v)]));
const opts = { now: NOW };

describe('the replica calculator (replica_calculator.go)', () => {
  it('scales by the usage ratio: ceil(ratio × ready pods)', () => {
    const r = resourceReplicas(3, [pod('a'), pod('b'), pod('c')], metrics({ a: 900, b: 900, c: 900 }), 'cpu', { utilization: 50 }, opts);
    expect(r.utilization).toBe(90);
    expect(r.replicas).toBe(6); // 90/50 = 1.8 × 3 = 5.4 → 6
  });

  it('keeps the replicas within the 10% tolerance, and leaves it past it', () => {
    const pods = [pod('a'), pod('b')];
    expect(resourceReplicas(2, pods, metrics({ a: 540, b: 540 }), 'cpu', { utilization: 50 }, opts).replicas).toBe(2); // ratio 1.08
    expect(resourceReplicas(2, pods, metrics({ a: 460, b: 460 }), 'cpu', { utilization: 50 }, opts).replicas).toBe(2); // ratio 0.92
    expect(resourceReplicas(2, pods, metrics({ a: 560, b: 560 }), 'cpu', { utilization: 50 }, opts).replicas).toBe(3); // ratio 1.12
    expect(resourceReplicas(2, pods, metrics({ a: 540, b: 540 }), 'cpu', { utilization: 50 }, { ...opts, tolerance: 0.05 }).replicas).toBe(3);
  });

  it('scales down on low use', () => {
    const r = resourceReplicas(4, [pod('a'), pod('b'), pod('c'), pod('d')], metrics({ a: 100, b: 100, c: 100, d: 100 }), 'cpu', { utilization: 50 }, opts);
    expect(r.replicas).toBe(1);
  });

  it('counts a missing pod as 100% of its request on a scale-down: a silent node never looks idle', () => {
    // a and b idle, c on an offline node (no metric): without c the ratio would be 0.2 → 1 replica
    const r = resourceReplicas(3, [pod('a'), pod('b'), pod('c')], metrics({ a: 100, b: 100 }), 'cpu', { utilization: 50 }, opts);
    // (100 + 100 + 1000) / 3000 = 40% → ratio 0.8 → ceil(0.8 × 3) = 3: stays
    expect(r.replicas).toBe(3);
    // with every pod missing there is nothing to decide on
    expect(() => resourceReplicas(3, [pod('a'), pod('b'), pod('c')], new Map(), 'cpu', { utilization: 50 }, opts)).toThrow(MetricsUnavailableError);
  });

  it('counts a missing pod as 0% on a scale-up', () => {
    const r = resourceReplicas(2, [pod('a'), pod('b')], metrics({ a: 1000 }), 'cpu', { utilization: 50 }, opts);
    // first ratio 2.0 (a alone); with b at 0: 1000/2000 = 50% → ratio 1.0 → within tolerance: stays
    expect(r.replicas).toBe(2);
    const r2 = resourceReplicas(3, [pod('a'), pod('b'), pod('c')], metrics({ a: 1000, b: 1000 }), 'cpu', { utilization: 50 }, opts);
    // 2000/3000 = 66% → ratio 1.33 → ceil(1.33 × 3) = 4
    expect(r2.replicas).toBe(4);
  });

  it('treats Pending and not-yet-ready pods as unready: left out, and 0% on a scale-up', () => {
    const pods = [pod('a'), pod('b', { phase: 'Pending' }), pod('c', { startTime: NOW - 60_000, ready: { status: 'False', lastTransitionTime: NOW - 60_000 } })];
    const g = groupPods(pods, metrics({ a: 900, c: 900 }), 'cpu', opts);
    expect(g.readyPodCount).toBe(1);
    expect([...g.unready].sort()).toEqual(['b', 'c']);
    // a alone at 90% of a 50% target: ratio 1.8; rebalanced with b and c at 0: 900/3000 = 30% → ratio 0.6 flips direction: stays
    expect(resourceReplicas(3, pods, metrics({ a: 900, c: 900 }), 'cpu', { utilization: 50 }, opts).replicas).toBe(3);
  });

  it('skips a CPU sample taken before a full window since the pod became ready, inside the initialization period', () => {
    const fresh = pod('a', { startTime: NOW - 60_000, ready: { status: 'True', lastTransitionTime: NOW - 10_000 } });
    expect(groupPods([fresh], metrics({ a: 500 }), 'cpu', opts).unready.has('a')).toBe(true); // sample at NOW-5s < ready+15s
    const settled = pod('a', { startTime: NOW - 60_000, ready: { status: 'True', lastTransitionTime: NOW - 30_000 } });
    expect(groupPods([settled], metrics({ a: 500 }), 'cpu', opts).readyPodCount).toBe(1);
    // memory has no initialization period
    expect(groupPods([fresh], metrics({ a: 500 }), 'memory', opts).readyPodCount).toBe(1);
  });

  it('leaves deleted and failed pods out altogether', () => {
    const pods = [pod('a'), pod('b', { deleting: true }), pod('c', { phase: 'Failed' })];
    const g = groupPods(pods, metrics({ a: 500 }), 'cpu', opts);
    expect(g.ignored).toEqual(new Set(['b', 'c']));
    expect(g.missing.size).toBe(0);
  });

  it('refuses a utilization target for pods without a request, naming the pod', () => {
    expect(() => resourceReplicas(1, [pod('a', { request: undefined })], metrics({ a: 500 }), 'cpu', { utilization: 50 }, opts)).toThrow(/missing request for cpu in pod a/);
  });

  it('scales an average-value target on the average per pod', () => {
    const Mi = 2 ** 20;
    const pods = [pod('a'), pod('b')];
    const r = resourceReplicas(2, pods, metrics({ a: 300 * Mi, b: 300 * Mi }), 'memory', { averageValue: 100 * Mi }, opts);
    expect(r.averageValue).toBe(300 * Mi);
    expect(r.replicas).toBe(6);
    expect(r.utilization).toBeUndefined();
  });
});
