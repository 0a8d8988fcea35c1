import { describe, expect, it } from 'vitest';
import { resourcesFit } from '../../../../hub/placement/filters/resources-fit.js';
import { snapshotFromObjects, type ClusterSnapshot } from '../../../../hub/placement/snapshot.js';
import { makeNode, makePod } from '../fixtures.js';

describe('resourcesFit filter', () => {
  const node = makeNode('n', { cpu: '2', memory: '1Gi', pods: '3' });

  it('fits a pod within what is left', () => {
    const snap = snapshotFromObjects([node], [makePod('a', { nodeName: 'n', cpu: '1', memory: '512Mi' })]);
    expect(resourcesFit.filter(makePod('p', { cpu: '1', memory: '512Mi' }), node, snap)).toEqual({ ok: true });
  });

  it('reports Insufficient cpu when allocatable minus requests is short', () => {
    const snap = snapshotFromObjects([node], [makePod('a', { nodeName: 'n', cpu: '1500m' })]);
    expect(resourcesFit.filter(makePod('p', { cpu: '600m' }), node, snap)).toEqual({ ok: false, reason: 'Insufficient cpu' });
  });

  it('reports Insufficient memory', () => {
    const snap = snapshotFromObjects([node], [makePod('a', { nodeName: 'n', memory: '768Mi' })]);
    expect(resourcesFit.filter(makePod('p', { memory: '300Mi' }), node, snap)).toEqual({ ok: false, reason: 'Insufficient memory' });
  });

  it('reports both shortfalls', () => {
    const snap = snapshotFromObjects([node], []);
    expect(resourcesFit.filter(makePod('p', { cpu: '3', memory: '2Gi' }), node, snap)).toEqual({
      ok: false,
      reason: 'Insufficient cpu',
      moreReasons: ['Insufficient memory'],
    });
  });

  it('ignores pods that have Succeeded or Failed', () => {
    const snap = snapshotFromObjects(
      [node],
      [makePod('done', { nodeName: 'n', cpu: '2', phase: 'Succeeded' }), makePod('dead', { nodeName: 'n', cpu: '2', phase: 'Failed' })],
    );
    expect(resourcesFit.filter(makePod('p', { cpu: '2' }), node, snap).ok).toBe(true);
  });

  it('counts pods against allocatable pods', () => {
    const pods = ['a', 'b', 'c'].map((n) => makePod(n, { nodeName: 'n' }));
    expect(resourcesFit.filter(makePod('p'), node, snapshotFromObjects([node], pods))).toEqual({ ok: false, reason: 'Too many pods' });
    expect(resourcesFit.filter(makePod('p'), node, snapshotFromObjects([node], pods.slice(1))).ok).toBe(true);
  });

  it('a pod requesting nothing fits even a node that reports no cpu or memory', () => {
    const bare = makeNode('bare');
    bare.status!.allocatable = {};
    const snap = snapshotFromObjects([bare], []);
    expect(resourcesFit.filter(makePod('p'), bare, snap).ok).toBe(true);
    expect(resourcesFit.filter(makePod('p', { cpu: '1m' }), bare, snap)).toEqual({ ok: false, reason: 'Insufficient cpu' });
  });

  it('uses limits where requests are missing (protocol podRequests)', () => {
    const pod = makePod('p', {
      containers: [{ name: 'main', image: 'x', resources: { limits: { cpu: '3' } } }],
    });
    expect(resourcesFit.filter(pod, node, snapshotFromObjects([node], []))).toEqual({ ok: false, reason: 'Insufficient cpu' });
  });

  it('works with a bare snapshot that only answers podsOnNode', () => {
    const bound = [makePod('a', { nodeName: 'n', cpu: '1500m' })];
    const bare: ClusterSnapshot = { nodes: [node], podsOnNode: (name) => (name === 'n' ? bound : []) };
    expect(resourcesFit.filter(makePod('p', { cpu: '600m' }), node, bare)).toEqual({ ok: false, reason: 'Insufficient cpu' });
    expect(resourcesFit.filter(makePod('p', { cpu: '500m' }), node, bare).ok).toBe(true);
  });
});
