import { describe, expect, it } from 'vitest';
import { applyNodeStatusReport } from '../../../hub/fleet/node-status-handler.js';
import { newNodeObject } from '../../../hub/fleet/join-handler.js';
import type { NodeStatusMessage } from '../../../protocol/messages.js';

const report = (extra: Partial<NodeStatusMessage> = {}): NodeStatusMessage => ({
  v: 1,
  type: 'nodeStatus',
  sentAt: 'T',
  labels: { 'kubernetes.io/arch': 'amd64', 'node-role.kubernetes.io/control-plane': '' },
  status: {
    capacity: { cpu: '2' },
    conditions: [
      { type: 'Ready', status: 'False' },
      { type: 'DiskPressure', status: 'True', reason: 'LowDisk' },
    ],
  },
  ...extra,
});

describe('applyNodeStatusReport', () => {
  it('sets Ready=True itself, keeps agent-observed conditions, merges only agent-owned labels', () => {
    const node = applyNodeStatusReport(newNodeObject('n1', 'T0'), report(), 'T1');
    expect(node.metadata.labels).toEqual({ 'kubernetes.io/hostname': 'n1', 'kubernetes.io/arch': 'amd64' });
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'True', reason: 'KubeletReady', lastHeartbeatTime: 'T1', lastTransitionTime: 'T1' });
    expect(node.status?.conditions?.find((c) => c.type === 'DiskPressure')).toMatchObject({ status: 'True', reason: 'LowDisk' });
    expect(node.status?.capacity).toEqual({ cpu: '2' });
  });

  it('keeps facts the report leaves out', () => {
    const first = applyNodeStatusReport(newNodeObject('n1', 'T0'), report({ status: { capacity: { cpu: '2' }, nodeInfo: { kernelVersion: '6.1' } } }), 'T1');
    const second = applyNodeStatusReport(first, report({ status: { capacity: { cpu: '4' } } }), 'T2');
    expect(second.status?.capacity).toEqual({ cpu: '4' });
    expect(second.status?.nodeInfo).toEqual({ kernelVersion: '6.1' });
  });
});
