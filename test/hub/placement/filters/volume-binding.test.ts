import { describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../../../protocol/index.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../../../protocol/objects/storage.js';
import { schedulePod } from '../../../../hub/placement/schedule.js';
import { snapshotFromObjects } from '../../../../hub/placement/snapshot.js';
import { storageViewFromObjects } from '../../../../hub/placement/volumes.js';
import {
  NO_VOLUME_TO_BIND_REASON,
  NOT_ENOUGH_STORAGE_REASON,
  podVolumeState,
  SELECTED_NODE_CONFLICT_REASON,
  UNBOUND_IMMEDIATE_REASON,
  VOLUME_NODE_AFFINITY_CONFLICT_REASON,
  volumeBinding,
} from '../../../../hub/placement/filters/volume-binding.js';

const GI = 1024 ** 3;
function node(name: string, diskGi = 100, usedGi = 10, ready = true): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': `${diskGi}Gi` },
      allocatable: { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': `${Math.floor(diskGi * 0.9)}Gi` },
      usage: { cpuPercent: 1, memoryUsedBytes: 1, diskUsedBytes: usedGi * GI, timestamp: '2026-01-01T00:00:00Z' },
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}
const pod = (claim = 'data'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p', namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: claim } }] },
});
const claim = (extra: Partial<PersistentVolumeClaim['spec']> = {}, annotations?: Record<string, string>): PersistentVolumeClaim => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'data', namespace: 'default', uid: 'c-1', ...(annotations ? { annotations } : {}) },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path', ...extra },
});
const localPath: StorageClass = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path' }, provisioner: 'drover.io/local-path', volumeBindingMode: 'WaitForFirstConsumer' };
const manual: StorageClass = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' };
const immediate: StorageClass = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'now' }, provisioner: 'kubernetes.io/no-provisioner' };
function pv(name: string, onNode: string | undefined, size = '1Gi', extra: Partial<PersistentVolume['spec']> = {}, provisioned = false): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...(provisioned ? { annotations: { 'pv.kubernetes.io/provisioned-by': 'drover.io/local-path' } } : {}) },
    spec: {
      capacity: { storage: size },
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'local-path',
      ...(onNode
        ? { local: { path: `/v/${name}` }, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In' as const, values: [onNode] }] }] } } }
        : { hostPath: { path: `/v/${name}` } }),
      ...extra,
    },
  };
}

const decide = (nodes: Node[], claims: PersistentVolumeClaim[], volumes: PersistentVolume[], classes: StorageClass[] = [localPath, manual, immediate], p = pod()) =>
  schedulePod(p, snapshotFromObjects(nodes, [], storageViewFromObjects(claims, volumes, classes)));

describe('VolumeBinding filter', () => {
  it('skips pods without claims', () => {
    const p: Pod = { ...pod(), spec: { containers: [{ name: 'c', image: 'busybox' }] } };
    expect(volumeBinding.preFilter!(p, snapshotFromObjects([], []))).toBeTypeOf('symbol');
  });

  it("sends a pod with a bound claim to its volume's node, and names the conflict when that node cannot take it", () => {
    const bound = claim({ volumeName: 'pv-a' });
    const volume = pv('pv-a', 'a', '1Gi', { claimRef: { namespace: 'default', name: 'data', uid: 'c-1' } });
    expect(decide([node('a'), node('b')], [bound], [volume])).toMatchObject({ node: 'a' });
    const down = decide([node('a', 100, 10, false), node('b')], [bound], [volume]);
    expect(down.node).toBeUndefined();
    expect(down).toMatchObject({ message: `0/2 nodes are available: 1 ${VOLUME_NODE_AFFINITY_CONFLICT_REASON}, 1 node(s) were not ready.` });
    // a hostPath volume without nodeAffinity is usable anywhere
    expect(decide([node('b')], [claim({ volumeName: 'pv-h' })], [pv('pv-h', undefined)])).toMatchObject({ node: 'b' });
  });

  it('fails every node with the reason for a claim that is missing, being deleted or unbound in an Immediate class', () => {
    expect(decide([node('a')], [], [])).toMatchObject({ message: '0/1 nodes are available: 1 persistentvolumeclaim "data" not found.' });
    const deleting = { ...claim(), metadata: { ...claim().metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
    expect(decide([node('a')], [deleting], [])).toMatchObject({ message: '0/1 nodes are available: 1 persistentvolumeclaim "data" is being deleted.' });
    expect(decide([node('a')], [claim({ storageClassName: 'now' })], [])).toMatchObject({ message: `0/1 nodes are available: 1 ${UNBOUND_IMMEDIATE_REASON}.` });
    expect(decide([node('a')], [claim({ storageClassName: 'gone' })], [])).toMatchObject({ message: '0/1 nodes are available: 1 storageclass.storage.k8s.io "gone" not found.' });
    expect(decide([node('a')], [claim({ volumeName: 'nope' })], [])).toMatchObject({ message: '0/1 nodes are available: 1 persistentvolume "nope" of claim "data" not found.' });
  });

  it('binds a waiting local-path claim only where the disk has room: free space now, and what was promised there', () => {
    const big = claim({ resources: { requests: { storage: '50Gi' } } });
    // a: 100Gi disk, 10Gi used; b: 40Gi disk
    expect(decide([node('a'), node('b', 40)], [big], [])).toMatchObject({ node: 'a' });
    const full = decide([node('a', 100, 95), node('b', 40)], [big], []);
    expect(full).toMatchObject({ message: `0/2 nodes are available: 2 ${NOT_ENOUGH_STORAGE_REASON}.` });
    // 45Gi already promised to a local-path volume on a (90Gi allocatable): 50 more do not fit
    expect(decide([node('a')], [big], [pv('other', 'a', '45Gi', { claimRef: { namespace: 'default', name: 'x' } }, true)])).toMatchObject({ message: `0/1 nodes are available: 1 ${NOT_ENOUGH_STORAGE_REASON}.` });
    // a node that reports no disk takes no local volume
    const bare: Node = { ...node('c'), status: { ...node('c').status, allocatable: { cpu: '4', memory: '8Gi', pods: '110' } } };
    expect(decide([bare], [claim()], [])).toMatchObject({ message: `0/1 nodes are available: 1 ${NOT_ENOUGH_STORAGE_REASON}.` });
  });

  it('a waiting claim of a class without provisioner needs a free volume on the node; the selected node pins the pod', () => {
    const waiting = claim({ storageClassName: 'manual' });
    const free = pv('free-b', 'b', '2Gi', { storageClassName: 'manual' });
    expect(decide([node('a'), node('b')], [waiting], [free])).toMatchObject({ node: 'b' });
    expect(decide([node('a')], [waiting], [free])).toMatchObject({ message: `0/1 nodes are available: 1 ${NO_VOLUME_TO_BIND_REASON}.` });
    // too small, wrong mode: not suitable
    expect(decide([node('b')], [waiting], [pv('small', 'b', '512Mi', { storageClassName: 'manual' })]).node).toBeUndefined();
    expect(decide([node('b')], [waiting], [pv('rox', 'b', '2Gi', { storageClassName: 'manual', accessModes: ['ReadOnlyMany'] })]).node).toBeUndefined();
    const selected = claim({}, { 'volume.kubernetes.io/selected-node': 'b' });
    expect(decide([node('a'), node('b')], [selected], [])).toMatchObject({ node: 'b' });
    expect(decide([node('a')], [selected], [])).toMatchObject({ message: `0/1 nodes are available: 1 ${SELECTED_NODE_CONFLICT_REASON}.` });
  });

  it('lists the claims still to bind (what the scheduler annotates with the node)', () => {
    const state = podVolumeState(pod(), storageViewFromObjects([claim()], [], [localPath]));
    expect(state.unbound.map((u) => u.claim.metadata.name)).toEqual(['data']);
    expect(state.bound).toEqual([]);
  });
});
