import { describe, expect, it } from 'vitest';
import { leastAllocated, leastAllocatedFraction } from '../../../../hub/placement/scorers/least-allocated.js';
import { snapshotFromObjects } from '../../../../hub/placement/snapshot.js';
import { makeNode, makePod } from '../fixtures.js';

describe('leastAllocated scorer', () => {
  it('is (allocatable - requested) * 100 / allocatable, 0 when overcommitted', () => {
    expect(leastAllocatedFraction(0, 1000)).toBe(100);
    expect(leastAllocatedFraction(250, 1000)).toBe(75);
    expect(leastAllocatedFraction(1001, 1000)).toBe(0);
    expect(leastAllocatedFraction(1, 0)).toBe(0);
  });

  it('averages cpu and memory after placing the pod', () => {
    const node = makeNode('n', { cpu: '4', memory: '4Gi' });
    const snap = snapshotFromObjects([node], [makePod('a', { nodeName: 'n', cpu: '1', memory: '1Gi' })]);
    // cpu: (4000 - 2000) / 4000 = 50; memory: (4Gi - 3Gi) / 4Gi = 25 -> 37
    expect(leastAllocated.score(makePod('p', { cpu: '1', memory: '2Gi' }), node, snap)).toBe(37);
  });

  it('prefers the emptier node', () => {
    const busy = makeNode('busy', { cpu: '4', memory: '4Gi' });
    const idle = makeNode('idle', { cpu: '4', memory: '4Gi' });
    const snap = snapshotFromObjects([busy, idle], [makePod('a', { nodeName: 'busy', cpu: '3', memory: '3Gi' })]);
    const pod = makePod('p', { cpu: '500m', memory: '256Mi' });
    expect(leastAllocated.score(pod, idle, snap)).toBeGreaterThan(leastAllocated.score(pod, busy, snap));
  });

  it('counts pods without requests with Kubernetes defaults (100m, 200Mi)', () => {
    const node = makeNode('n', { cpu: '1', memory: '1000Mi' });
    const snap = snapshotFromObjects([node], []);
    // cpu: (1000 - 100) / 1000 = 90; memory: (1000Mi - 200Mi) / 1000Mi = 80 -> 85
    expect(leastAllocated.score(makePod('p'), node, snap)).toBe(85);
  });

  it('finished pods do not count', () => {
    const node = makeNode('n', { cpu: '1', memory: '1000Mi' });
    const snap = snapshotFromObjects([node], [makePod('a', { nodeName: 'n', cpu: '900m', phase: 'Succeeded' })]);
    expect(leastAllocated.score(makePod('p'), node, snap)).toBe(85);
  });
});
