import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, schedulePod, unschedulableMessage } from '../../../hub/placement/schedule.js';
import { snapshotFromObjects } from '../../../hub/placement/snapshot.js';
import { makeNode, makePod } from './fixtures.js';

describe('schedulePod', () => {
  it('explains a mixed 3-node cluster with Kubernetes\' FitError text (reasons counted and sorted as strings)', () => {
    const nodes = [
      makeNode('small-1', { memory: '1Gi', labels: { zone: 'north' } }),
      makeNode('small-2', { memory: '1Gi', labels: { zone: 'north' } }),
      makeNode('big', { memory: '64Gi', labels: { zone: 'south' } }),
    ];
    const pod = makePod('p', { memory: '2Gi', nodeSelector: { zone: 'north' } });
    const result = schedulePod(pod, snapshotFromObjects(nodes, []));
    expect(result.node).toBeUndefined();
    expect(result).toMatchObject({
      message: "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 Insufficient memory.",
      reasons: { 'Insufficient memory': 2, "node(s) didn't match Pod's node affinity/selector": 1 },
    });
  });

  it('counts each of a node\'s resource shortfalls, and only its first failing filter', () => {
    const nodes = [
      makeNode('a', { cpu: '1', memory: '1Gi' }),
      makeNode('b', { ready: false, cpu: '1', memory: '1Gi' }),
      makeNode('c', { unschedulable: true }),
      makeNode('d', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    ];
    const result = schedulePod(makePod('p', { cpu: '2', memory: '2Gi' }), snapshotFromObjects(nodes, []));
    expect(result).toMatchObject({
      node: undefined,
      message:
        '0/4 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 node(s) had untolerated taint {dedicated: gpu}, ' +
        '1 node(s) were not ready, 1 node(s) were unschedulable.',
    });
  });

  it('says there are no nodes when the cluster has none', () => {
    expect(schedulePod(makePod('p'), snapshotFromObjects([], []))).toMatchObject({
      node: undefined,
      message: 'no nodes available to schedule pods',
    });
    expect(unschedulableMessage(0, {})).toBe('no nodes available to schedule pods');
  });

  it('picks the only feasible node', () => {
    const nodes = [makeNode('a', { ready: false }), makeNode('b'), makeNode('c', { unschedulable: true })];
    expect(schedulePod(makePod('p'), snapshotFromObjects(nodes, [])).node).toBe('b');
  });

  it('breaks ties by node name, whatever the order of the snapshot', () => {
    const nodes = ['n3', 'n1', 'n2'].map((n) => makeNode(n));
    expect(schedulePod(makePod('p'), snapshotFromObjects(nodes, [])).node).toBe('n1');
    expect(schedulePod(makePod('p'), snapshotFromObjects([...nodes].reverse(), [])).node).toBe('n1');
  });

  it('prefers the least allocated node', () => {
    const nodes = [makeNode('a'), makeNode('b')];
    const snap = snapshotFromObjects(nodes, [makePod('x', { nodeName: 'a', cpu: '3', memory: '6Gi' })]);
    expect(schedulePod(makePod('p', { cpu: '100m' }), snap).node).toBe('b');
  });

  it('spreads the replicas of one owner', () => {
    const nodes = [makeNode('a'), makeNode('b'), makeNode('c')];
    const snap = snapshotFromObjects(nodes, []);
    const placed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const pod = makePod(`web-${i}`, { owner: 'web' });
      const r = schedulePod(pod, snap);
      if (r.node === undefined) throw new Error(r.message);
      snap.assume(pod, r.node);
      placed.push(r.node);
    }
    expect([...placed].sort()).toEqual(['a', 'a', 'b', 'b', 'c', 'c']);
  });

  it('prefers a node that already has the image when all else is equal', () => {
    const nodes = [makeNode('a'), makeNode('b', { images: ['drover.local/app:1'] })];
    expect(schedulePod(makePod('p', { image: 'drover.local/app:1' }), snapshotFromObjects(nodes, [])).node).toBe('b');
  });

  it('honours a custom profile', () => {
    const nodes = [makeNode('a'), makeNode('b')];
    const onlyB = { ...DEFAULT_PROFILE, filters: [{ name: 'OnlyB', filter: (_p: unknown, n: { metadata: { name: string } }) => (n.metadata.name === 'b' ? { ok: true as const } : { ok: false as const, reason: 'not b' }) }] };
    expect(schedulePod(makePod('p'), snapshotFromObjects(nodes, []), onlyB).node).toBe('b');
  });
});
