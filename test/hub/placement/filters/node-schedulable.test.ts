import { describe, expect, it } from 'vitest';
import { nodeSchedulable } from '../../../../hub/placement/filters/node-schedulable.js';
import { toleratesTaint } from '../../../../hub/placement/filters/tolerations.js';
import { snapshotFromObjects } from '../../../../hub/placement/snapshot.js';
import type { Taint } from '../../../../protocol/index.js';
import { makeNode, makePod } from '../fixtures.js';

const empty = snapshotFromObjects([], []);
const gpu: Taint = { key: 'gpu', value: 'true', effect: 'NoSchedule' };

describe('toleratesTaint (Kubernetes semantics)', () => {
  it('Equal (the default operator) compares key and value', () => {
    expect(toleratesTaint({ key: 'gpu', value: 'true' }, gpu)).toBe(true);
    expect(toleratesTaint({ key: 'gpu', operator: 'Equal', value: 'false' }, gpu)).toBe(false);
    expect(toleratesTaint({ key: 'other', value: 'true' }, gpu)).toBe(false);
  });

  it('Exists ignores the value; with no key it tolerates every taint', () => {
    expect(toleratesTaint({ key: 'gpu', operator: 'Exists' }, gpu)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists' }, gpu)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists' }, { key: 'x', effect: 'NoExecute' })).toBe(true);
  });

  it('an effect on the toleration must match the taint; an empty effect matches all', () => {
    expect(toleratesTaint({ key: 'gpu', operator: 'Exists', effect: 'NoExecute' }, gpu)).toBe(false);
    expect(toleratesTaint({ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }, gpu)).toBe(true);
    expect(toleratesTaint({ key: 'gpu', operator: 'Exists', effect: '' }, gpu)).toBe(true);
  });

  it('a taint without value equals an Equal toleration without value', () => {
    expect(toleratesTaint({ key: 'dedicated', operator: 'Equal' }, { key: 'dedicated', effect: 'NoSchedule' })).toBe(true);
    expect(toleratesTaint({ key: 'dedicated', value: 'x' }, { key: 'dedicated', effect: 'NoSchedule' })).toBe(false);
  });
});

describe('nodeSchedulable filter', () => {
  it('passes an untainted, schedulable node', () => {
    expect(nodeSchedulable.filter(makePod('p'), makeNode('n'), empty)).toEqual({ ok: true });
  });

  it('rejects a cordoned node', () => {
    expect(nodeSchedulable.filter(makePod('p'), makeNode('n', { unschedulable: true }), empty)).toEqual({
      ok: false,
      reason: 'node(s) were unschedulable',
    });
  });

  it('lets a pod tolerating node.kubernetes.io/unschedulable onto a cordoned node', () => {
    const pod = makePod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(nodeSchedulable.filter(pod, makeNode('n', { unschedulable: true }), empty).ok).toBe(true);
  });

  it('rejects an untolerated NoSchedule or NoExecute taint, naming it', () => {
    expect(nodeSchedulable.filter(makePod('p'), makeNode('n', { taints: [gpu] }), empty)).toEqual({
      ok: false,
      reason: 'node(s) had untolerated taint {gpu: true}',
    });
    const noExec: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
    expect(nodeSchedulable.filter(makePod('p'), makeNode('n', { taints: [noExec] }), empty)).toEqual({
      ok: false,
      reason: 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }',
    });
  });

  it('ignores PreferNoSchedule taints', () => {
    const soft: Taint = { key: 'soft', value: 'yes', effect: 'PreferNoSchedule' };
    expect(nodeSchedulable.filter(makePod('p'), makeNode('n', { taints: [soft] }), empty).ok).toBe(true);
  });

  it('passes when every hard taint is tolerated, and fails on the first that is not', () => {
    const taints: Taint[] = [gpu, { key: 'zone', value: 'edge', effect: 'NoExecute' }];
    const both = makePod('p', { tolerations: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }, { key: 'zone', operator: 'Exists' }] });
    expect(nodeSchedulable.filter(both, makeNode('n', { taints }), empty).ok).toBe(true);
    const one = makePod('p', { tolerations: [{ key: 'gpu', value: 'true' }] });
    expect(nodeSchedulable.filter(one, makeNode('n', { taints }), empty)).toEqual({
      ok: false,
      reason: 'node(s) had untolerated taint {zone: edge}',
    });
  });
});
