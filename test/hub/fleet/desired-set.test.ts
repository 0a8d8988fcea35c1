import { describe, expect, it } from 'vitest';
import { buildDesiredSet, desiredPod, podFingerprint } from '../../../hub/fleet/desired-set.js';
import { desiredSetMessageSchema } from '../../../protocol/messages.js';
import type { Pod } from '../../../protocol/objects/pod.js';

const pod = (name: string, nodeName?: string, extra: Partial<Pod['metadata']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '7', ...extra },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'img' }] },
  status: { phase: 'Running' },
});

describe('desired sets', () => {
  it("selects the node's pods, sorted, without status or resourceVersion; pods being deleted keep their deletion's grace", () => {
    const set = buildDesiredSet(
      'n1',
      [pod('b', 'n1'), pod('a', 'n1'), pod('gone', 'n1', { deletionTimestamp: 'T', deletionGracePeriodSeconds: 1 }), pod('x', 'n2'), pod('u')],
      42,
      true,
      () => 0,
    );
    expect(set.generation).toBe(42);
    expect(set.pods.map((p) => p.metadata.name)).toEqual(['a', 'b', 'gone']);
    // the agent stops it with the grace kubectl delete --grace-period asked for, not the spec's
    expect(set.pods[2]!.metadata).toMatchObject({ deletionTimestamp: 'T', deletionGracePeriodSeconds: 1 });
    expect(set.pods[0]!.status).toBeUndefined();
    expect(set.pods[0]!.metadata.resourceVersion).toBeUndefined();
    expect(set.pods[0]!.metadata.uid).toBe('uid-a');
    expect(desiredSetMessageSchema.safeParse(set).success).toBe(true);
  });

  it('is empty for a node that no longer exists', () => {
    expect(buildDesiredSet('n1', [pod('a', 'n1')], 3, false, () => 0).pods).toEqual([]);
  });

  it('fingerprints ignore status and resourceVersion but not spec, node or deletion', () => {
    const base = podFingerprint(pod('a', 'n1'));
    expect(podFingerprint({ ...pod('a', 'n1', { resourceVersion: '99' }), status: { phase: 'Failed' } })).toBe(base);
    expect(podFingerprint(pod('a', 'n2'))).not.toBe(base);
    expect(podFingerprint(pod('a', 'n1', { deletionTimestamp: 'T' }))).not.toBe(base);
    expect(podFingerprint({ ...pod('a', 'n1'), spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'img:2' }] } })).not.toBe(base);
    expect(desiredPod(pod('a', 'n1')).spec.nodeName).toBe('n1');
  });

  it('leaves managedFields out: the API bookkeeping of writers is no business of the node', () => {
    const managed = pod('a', 'n1', { managedFields: [{ manager: 'kubectl', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }] } as never);
    expect(desiredPod(managed).metadata).not.toHaveProperty('managedFields');
    expect(podFingerprint(managed)).toBe(podFingerprint(pod('a', 'n1')));
  });
});
