import { describe, expect, it } from 'vitest';
import { nodeReady, NODE_NOT_READY_REASON } from '../../../../hub/placement/filters/node-ready.js';
import { snapshotFromObjects } from '../../../../hub/placement/snapshot.js';
import { makeNode, makePod } from '../fixtures.js';

const empty = snapshotFromObjects([], []);

describe('nodeReady filter', () => {
  it('passes a node whose Ready condition is True', () => {
    expect(nodeReady.filter(makePod('p'), makeNode('n'), empty)).toEqual({ ok: true });
  });

  it('rejects a node whose Ready condition is False, with Kubernetes wording', () => {
    expect(nodeReady.filter(makePod('p'), makeNode('n', { ready: false }), empty)).toEqual({
      ok: false,
      reason: 'node(s) were not ready',
    });
    expect(NODE_NOT_READY_REASON).toBe('node(s) were not ready');
  });

  it('rejects a node that reports no conditions at all', () => {
    const node = makeNode('n');
    delete node.status;
    expect(nodeReady.filter(makePod('p'), node, empty).ok).toBe(false);
  });

  it('rejects Unknown readiness', () => {
    const node = makeNode('n');
    node.status!.conditions = [{ type: 'Ready', status: 'Unknown' }];
    expect(nodeReady.filter(makePod('p'), node, empty).ok).toBe(false);
  });

  it('lets a pod that tolerates the not-ready taint through (DaemonSet pods)', () => {
    const pod = makePod('p', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(nodeReady.filter(pod, makeNode('n', { ready: false }), empty).ok).toBe(true);
  });
});
