import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../protocol/index.js';
import { countPods, isPodActive, isPodAvailable, isPodReady, msUntilAvailable, readySince } from '../../../hub/controllers/pod-state.js';

const NOW = Date.parse('2026-01-01T00:01:00.000Z');

function pod(name: string, readyAt?: string, extra: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...extra },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
    status: {
      phase: 'Running',
      conditions: readyAt ? [{ type: 'Ready', status: 'True', lastTransitionTime: readyAt }] : [{ type: 'Ready', status: 'False' }],
    },
  };
}

function frozen<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) frozen(child);
  }
  return value;
}

describe('pod state', () => {
  it('counts ready and available pods in one pass, with the wait until the next one is available', () => {
    const pods = [
      pod('not-ready'),
      pod('ready-long-ago', '2026-01-01T00:00:00.000Z'),
      pod('ready-20s-ago', '2026-01-01T00:00:40.000Z'),
      pod('ready-5s-ago', '2026-01-01T00:00:55.000Z'),
    ];
    expect(countPods(pods, 0, NOW)).toEqual({ ready: 3, available: 3, nextAvailableInMs: undefined });
    // minReadySeconds 30: ready 60 s ago is available, 20 s ago waits 10 s, 5 s ago waits 25 s
    expect(countPods(pods, 30, NOW)).toEqual({ ready: 3, available: 1, nextAvailableInMs: 10_000 });
    // the same as the per-pod functions
    expect(pods.filter(isPodReady)).toHaveLength(3);
    expect(pods.filter((p) => isPodAvailable(p, 30, NOW))).toHaveLength(1);
    expect(Math.min(...pods.map((p) => msUntilAvailable(p, 30, NOW) ?? Infinity))).toBe(10_000);
  });

  it('a ready pod without a transition time counts as ready long ago', () => {
    const p = pod('no-time');
    p.status!.conditions = [{ type: 'Ready', status: 'True' }];
    expect(readySince(p)).toBe(0);
    expect(countPods([p], 3600, NOW)).toEqual({ ready: 1, available: 1, nextAvailableInMs: undefined });
  });

  it('a terminating pod is not active', () => {
    expect(isPodActive(pod('a'))).toBe(true);
    expect(isPodActive(pod('b', undefined, { deletionTimestamp: '2026-01-01T00:00:00Z' }))).toBe(false);
  });

  it('remembers the facts of a frozen (cached) pod, never of one that can still change', () => {
    const mutable = pod('mutable');
    expect(isPodReady(mutable)).toBe(false);
    mutable.status!.conditions = [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:00.000Z' }];
    expect(isPodReady(mutable)).toBe(true);
    mutable.metadata.deletionTimestamp = '2026-01-01T00:00:30Z';
    expect(isPodActive(mutable)).toBe(false);

    // a new version of a cached pod is a new frozen object: its own facts
    const v1 = frozen(pod('cached'));
    const v2 = frozen<Pod>({ ...v1, status: { ...v1.status, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-01T00:00:50.000Z' }] } });
    expect(isPodReady(v1)).toBe(false);
    expect(isPodReady(v2)).toBe(true);
    expect(readySince(v2)).toBe(Date.parse('2026-01-01T00:00:50.000Z'));
    expect(countPods([v1, v2], 0, NOW).ready).toBe(1);
  });
});
