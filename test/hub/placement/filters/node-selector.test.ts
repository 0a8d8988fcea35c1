import { describe, expect, it } from 'vitest';
import { matchesRequirement, nodeSelector } from '../../../../hub/placement/filters/node-selector.js';
import { snapshotFromObjects } from '../../../../hub/placement/snapshot.js';
import type { Pod } from '../../../../protocol/index.js';
import { makeNode, makePod } from '../fixtures.js';

const empty = snapshotFromObjects([], []);
const REASON = "node(s) didn't match Pod's node affinity/selector";
const node = makeNode('edge-1', { labels: { zone: 'north', 'kubernetes.io/arch': 'arm64', cores: '4' } });

function withAffinity(terms: NonNullable<NonNullable<Pod['spec']['affinity']>['nodeAffinity']>['requiredDuringSchedulingIgnoredDuringExecution']): Pod {
  return makePod('p', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } } });
}

describe('nodeSelector filter', () => {
  it('passes a pod with no selector or affinity', () => {
    expect(nodeSelector.filter(makePod('p'), node, empty)).toEqual({ ok: true });
  });

  it('spec.nodeSelector needs every label equal', () => {
    expect(nodeSelector.filter(makePod('p', { nodeSelector: { zone: 'north' } }), node, empty).ok).toBe(true);
    expect(nodeSelector.filter(makePod('p', { nodeSelector: { zone: 'north', 'kubernetes.io/arch': 'amd64' } }), node, empty)).toEqual({
      ok: false,
      reason: REASON,
    });
    expect(nodeSelector.filter(makePod('p', { nodeSelector: { missing: '' } }), node, empty).ok).toBe(false);
  });

  it('In / NotIn / Exists / DoesNotExist', () => {
    expect(matchesRequirement({ key: 'zone', operator: 'In', values: ['north', 'south'] }, 'north')).toBe(true);
    expect(matchesRequirement({ key: 'zone', operator: 'In', values: ['south'] }, 'north')).toBe(false);
    expect(matchesRequirement({ key: 'zone', operator: 'In', values: ['north'] }, undefined)).toBe(false);
    expect(matchesRequirement({ key: 'zone', operator: 'NotIn', values: ['south'] }, 'north')).toBe(true);
    expect(matchesRequirement({ key: 'zone', operator: 'NotIn', values: ['north'] }, 'north')).toBe(false);
    expect(matchesRequirement({ key: 'zone', operator: 'NotIn', values: ['north'] }, undefined)).toBe(true);
    expect(matchesRequirement({ key: 'zone', operator: 'Exists' }, '')).toBe(true);
    expect(matchesRequirement({ key: 'zone', operator: 'Exists' }, undefined)).toBe(false);
    expect(matchesRequirement({ key: 'zone', operator: 'DoesNotExist' }, undefined)).toBe(true);
    expect(matchesRequirement({ key: 'zone', operator: 'DoesNotExist' }, 'x')).toBe(false);
  });

  it('Gt / Lt compare integers and never match non-integers', () => {
    expect(matchesRequirement({ key: 'cores', operator: 'Gt', values: ['2'] }, '4')).toBe(true);
    expect(matchesRequirement({ key: 'cores', operator: 'Gt', values: ['4'] }, '4')).toBe(false);
    expect(matchesRequirement({ key: 'cores', operator: 'Lt', values: ['10'] }, '4')).toBe(true);
    expect(matchesRequirement({ key: 'cores', operator: 'Lt', values: ['4'] }, '4')).toBe(false);
    expect(matchesRequirement({ key: 'cores', operator: 'Gt', values: ['2'] }, 'four')).toBe(false);
    expect(matchesRequirement({ key: 'cores', operator: 'Gt', values: ['2'] }, undefined)).toBe(false);
    expect(matchesRequirement({ key: 'cores', operator: 'Gt', values: ['1', '2'] }, '4')).toBe(false);
  });

  it('required node affinity: terms are ORed, expressions inside a term ANDed', () => {
    const match = withAffinity({
      nodeSelectorTerms: [
        { matchExpressions: [{ key: 'zone', operator: 'In', values: ['south'] }] },
        {
          matchExpressions: [
            { key: 'zone', operator: 'In', values: ['north'] },
            { key: 'cores', operator: 'Gt', values: ['2'] },
          ],
        },
      ],
    });
    expect(nodeSelector.filter(match, node, empty).ok).toBe(true);
    const noMatch = withAffinity({
      nodeSelectorTerms: [
        {
          matchExpressions: [
            { key: 'zone', operator: 'In', values: ['north'] },
            { key: 'gpu', operator: 'Exists' },
          ],
        },
      ],
    });
    expect(nodeSelector.filter(noMatch, node, empty)).toEqual({ ok: false, reason: REASON });
  });

  it('matchFields on metadata.name (as DaemonSets pin pods)', () => {
    const pinned = withAffinity({
      nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['edge-1'] }] }],
    });
    expect(nodeSelector.filter(pinned, node, empty).ok).toBe(true);
    expect(nodeSelector.filter(pinned, makeNode('edge-2'), empty).ok).toBe(false);
  });

  it('an empty term or an empty term list matches nothing', () => {
    expect(nodeSelector.filter(withAffinity({ nodeSelectorTerms: [{}] }), node, empty).ok).toBe(false);
    expect(nodeSelector.filter(withAffinity({ nodeSelectorTerms: [] }), node, empty).ok).toBe(false);
  });

  it('nodeSelector and affinity must both hold', () => {
    const pod = withAffinity({ nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }] });
    pod.spec.nodeSelector = { 'kubernetes.io/arch': 'amd64' };
    expect(nodeSelector.filter(pod, node, empty).ok).toBe(false);
  });
});
