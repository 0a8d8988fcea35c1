import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../protocol/objects/pod.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../../protocol/objects/storage.js';
import { claimVolumesFor } from '../../../hub/fleet/desired-volumes.js';
import { buildDesiredSet } from '../../../hub/fleet/desired-set.js';
import { desiredSetMessageSchema } from '../../../protocol/messages.js';

const pod = (name: string, namespace: string, ...claims: string[]): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, uid: `u-${name}` },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })) },
});
const claim = (namespace: string, name: string, volumeName?: string): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...(volumeName ? { volumeName } : {}) },
});
const volume = (name: string, ref: { namespace: string; name: string }, source: Partial<PersistentVolume['spec']>, provisioned = false): PersistentVolume => ({
  apiVersion: 'v1',
  kind: 'PersistentVolume',
  metadata: { name, ...(provisioned ? { annotations: { 'pv.kubernetes.io/provisioned-by': 'drover.io/local-path' } } : {}) },
  spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], claimRef: ref, ...source },
});

describe('claim volumes of a desired set', () => {
  const claims = [claim('a', 'data', 'pv-1'), claim('b', 'data', 'pv-2'), claim('a', 'waiting'), claim('a', 'stolen', 'pv-3'), claim('c', 'other', 'pv-4')];
  const volumes = [
    volume('pv-1', { namespace: 'a', name: 'data' }, { local: { path: '/agent/volumes/pv-1' } }, true),
    volume('pv-2', { namespace: 'b', name: 'data' }, { hostPath: { path: '/srv/b' } }),
    volume('pv-3', { namespace: 'x', name: 'someone-else' }, { hostPath: { path: '/srv/x' } }),
    volume('pv-4', { namespace: 'c', name: 'other' }, { hostPath: { path: '/srv/c' } }),
  ];
  const source = { claim: (ns: string, n: string) => claims.find((c) => c.metadata.namespace === ns && c.metadata.name === n), volume: (n: string) => volumes.find((v) => v.metadata.name === n) };

  it("carries only the node's pods' bound claims, each once, with its volume's path", () => {
    const out = claimVolumesFor([pod('p1', 'a', 'data', 'waiting', 'stolen'), pod('p2', 'a', 'data'), pod('p3', 'b', 'data')], source);
    expect(out).toEqual([
      { namespace: 'a', claim: 'data', volume: 'pv-1', path: '/agent/volumes/pv-1', managed: true },
      { namespace: 'b', claim: 'data', volume: 'pv-2', path: '/srv/b', hostPathType: '' },
    ]);
    // c/other is no pod's of this node: never sent
    expect(out.some((v) => v.claim === 'other')).toBe(false);
  });

  it('goes into the set only when some pod mounts a claim, and validates', () => {
    const pods = [pod('p1', 'a', 'data')];
    const set = buildDesiredSet('n1', pods, 7, true, () => 0, [], claimVolumesFor(pods, source));
    expect(set.volumes).toHaveLength(1);
    expect(() => desiredSetMessageSchema.parse(JSON.parse(JSON.stringify(set)))).not.toThrow();
    expect('volumes' in buildDesiredSet('n1', [pod('p9', 'a')], 7, true, () => 0, [], [])).toBe(false);
  });
});
