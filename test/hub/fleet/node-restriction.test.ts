/**
 * Node restriction: what a node may write of its own Node from its status report (the pure rules),
 * and a real fleet where a node forging capacity, conditions and labels has none of it written, each
 * refusal counted, while what it may report still applies.
 */
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NODE_STATUS_BOUNDS, restrictNodeStatusReport } from '../../../hub/fleet/node-restriction.js';
import type { NodeStatusMessage } from '../../../protocol/messages.js';
import { topics } from '../../../protocol/topics.js';
import { send, startHarness, type Harness } from './harness.js';
import { enrolledNode, getNode, statusMessage } from './nodes.js';

const honest = (): NodeStatusMessage => ({
  v: 1,
  type: 'nodeStatus',
  sentAt: 'T',
  labels: { 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': 'pi-1' },
  status: {
    capacity: { cpu: '4', memory: '8007264Ki', 'ephemeral-storage': '30000000Ki', pods: '110' },
    allocatable: { cpu: '3900m', memory: '7744096Ki', 'ephemeral-storage': '27000000Ki', pods: '110' },
    nodeInfo: { architecture: 'arm64', operatingSystem: 'linux', hostname: 'pi-1' },
    usage: { cpuPercent: 3, memoryUsedBytes: 1_000_000_000, diskUsedBytes: 5_000_000_000, timestamp: 'T' },
    conditions: [
      { type: 'MemoryPressure', status: 'False', reason: 'AgentHasSufficientMemory', lastHeartbeatTime: 'T', lastTransitionTime: 'forged' },
      { type: 'DiskPressure', status: 'False' },
      { type: 'PIDPressure', status: 'False' },
    ],
  },
});

describe('restrictNodeStatusReport', () => {
  it("passes an honest agent's report whole (times aside: the hub's)", () => {
    const { report, refused } = restrictNodeStatusReport('pi-1', honest());
    expect(refused).toEqual([]);
    expect(report.status.capacity).toEqual(honest().status.capacity);
    expect(report.status.allocatable).toEqual(honest().status.allocatable);
    expect(report.labels).toEqual(honest().labels);
    expect(report.status.conditions?.[0]).toEqual({ type: 'MemoryPressure', status: 'False', reason: 'AgentHasSufficientMemory' });
  });

  it.each([
    ['an extended resource', { capacity: { cpu: '4', 'nvidia.com/gpu': '8' } }, /nvidia.com\/gpu: not a resource the node measures/],
    ['absurd cpu', { capacity: { cpu: '1000000' } }, /cpu: 1000000 is outside/],
    ['absurd memory', { capacity: { memory: '1000Pi' } }, /memory: 1000Pi is outside/],
    ['too many pods', { capacity: { pods: '100000' } }, /pods: 100000 is outside/],
    ['zero cpu', { capacity: { cpu: '0' } }, /cpu: must be more than 0/],
    ['allocatable over capacity', { capacity: { cpu: '4' }, allocatable: { cpu: '64' } }, /cpu: 64 is more than its capacity 4/],
    ['allocatable without capacity', { capacity: { cpu: '4' }, allocatable: { memory: '1Gi' } }, /memory: allocatable without capacity/],
    ['not a quantity', { capacity: { cpu: 'lots' } }, /"lots" is not a quantity/],
  ])('refuses capacity and allocatable whole for %s', (_what, resources, reason) => {
    const { report, refused } = restrictNodeStatusReport('pi-1', { ...honest(), status: { ...honest().status, allocatable: undefined, ...resources } });
    expect(report.status.capacity).toBeUndefined();
    expect(report.status.allocatable).toBeUndefined();
    expect(refused.map((r) => r.reason).join('; ')).toMatch(reason);
    // the rest of the report still applies
    expect(report.status.nodeInfo).toEqual(honest().status.nodeInfo);
  });

  it('refuses usage over capacity', () => {
    const m = honest();
    m.status.usage = { ...m.status.usage!, memoryUsedBytes: 10 * 2 ** 40 };
    const { report, refused } = restrictNodeStatusReport('pi-1', m);
    expect(report.status.usage).toBeUndefined();
    expect(refused).toEqual([{ field: 'status.usage', reason: 'more memory or disk in use than the node has' }]);
  });

  it("keeps only the kubelet's condition types, never Ready, with bounded texts", () => {
    const m = honest();
    m.status.conditions = [
      { type: 'Ready', status: 'True' },
      { type: 'NetworkUnavailable', status: 'False' },
      { type: 'KernelDeadlock', status: 'True' },
      { type: 'DiskPressure', status: 'True', message: 'x'.repeat(NODE_STATUS_BOUNDS.conditionMessageChars + 1) },
    ];
    const { report, refused } = restrictNodeStatusReport('pi-1', m);
    expect(report.status.conditions).toEqual([{ type: 'NetworkUnavailable', status: 'False' }]);
    expect(refused.map((r) => r.reason)).toEqual([
      'KernelDeadlock: not a condition the node reports (MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable)',
      'DiskPressure: reason or message too long',
    ]);
  });

  it("refuses labels beyond the agent's three, and values that are not its own", () => {
    const m = honest();
    m.labels = { 'kubernetes.io/hostname': 'pi-2', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/control-plane': '' };
    const { report, refused } = restrictNodeStatusReport('pi-1', m);
    expect(report.labels).toEqual({ 'kubernetes.io/os': 'linux' });
    expect(refused.map((r) => r.reason)).toEqual([
      'kubernetes.io/hostname: "pi-2" is not "pi-1"',
      'kubernetes.io/arch: "amd64" is not "arm64"',
      'node-role.kubernetes.io/control-plane: only users label nodes',
    ]);
  });

  it('takes the agent-version label only as nodeInfo.kubeletVersion says it', () => {
    const m = honest();
    m.status.nodeInfo = { ...m.status.nodeInfo, kubeletVersion: 'drover-0.3.0+pi' };
    m.labels = { ...m.labels, 'drover.io/agent-version': '0.3.0_pi' };
    expect(restrictNodeStatusReport('pi-1', m).report.labels?.['drover.io/agent-version']).toBe('0.3.0_pi');
    m.labels = { ...m.labels, 'drover.io/agent-version': '9.9.9' };
    const forged = restrictNodeStatusReport('pi-1', m);
    expect(forged.report.labels?.['drover.io/agent-version']).toBeUndefined();
    expect(forged.refused.map((r) => r.reason)).toEqual(['drover.io/agent-version: "9.9.9" is not "0.3.0_pi"']);
  });

  it('keeps the 50 largest images with 5 names each (as the kubelet does), and at most 16 addresses', () => {
    const m = honest();
    m.status.images = Array.from({ length: 60 }, (_, i) => ({ names: Array.from({ length: 7 }, (_, k) => `img${i}:${k}`), sizeBytes: i }));
    m.status.addresses = Array.from({ length: 20 }, (_, i) => ({ type: 'InternalIP' as const, address: `10.0.0.${i}` }));
    const { report, refused } = restrictNodeStatusReport('pi-1', m);
    expect(report.status.images).toHaveLength(50);
    expect(report.status.images![0]).toEqual({ names: ['img59:0', 'img59:1', 'img59:2', 'img59:3', 'img59:4'], sizeBytes: 59 });
    expect(report.status.addresses).toHaveLength(16);
    expect(refused.map((r) => r.field)).toEqual(['status.addresses']);
  });
});

describe('a node forging its status (real fleet)', () => {
  let h: Harness;
  let registry: Registry;
  beforeEach(async () => {
    registry = new Registry();
    h = await startHarness({ fleet: { metrics: registry } });
  });
  afterEach(async () => {
    await h.close();
  });

  it('has none of the forgery written; the Node keeps what it had; each refusal is counted', async () => {
    const { client } = await enrolledNode(h, 'pi-1');
    const before = await getNode(h, 'pi-1');
    const forged = statusMessage({
      capacity: { cpu: '4096', memory: '8Gi', pods: '110', 'example.com/dongle': '1' },
      allocatable: { cpu: '4096', memory: '8Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True' }, { type: 'Pwned', status: 'True' }, { type: 'MemoryPressure', status: 'True' }],
    });
    forged.labels = { 'kubernetes.io/hostname': 'pi-2', 'node-role.kubernetes.io/control-plane': '' };
    await send(client, topics.nodeStatus('pi-1'), forged);
    await h.fleet.idle();
    const after = (await getNode(h, 'pi-1'))!;
    expect(after.status?.capacity).toEqual(before!.status?.capacity);
    expect(after.status?.allocatable).toEqual(before!.status?.allocatable);
    expect(after.status?.conditions?.map((c) => c.type)).not.toContain('Pwned');
    // what it may report still applies
    expect(after.status?.conditions?.find((c) => c.type === 'MemoryPressure')?.status).toBe('True');
    expect(after.metadata.labels).toEqual(before!.metadata.labels);
    expect(after.spec).toEqual(before!.spec);
    const counts = (await registry.getSingleMetric('drover_node_status_refused_total')!.get()).values;
    expect(Object.fromEntries(counts.map((v) => [v.labels.field, v.value]))).toEqual({ 'status.capacity': 2, 'status.allocatable': 1, 'status.conditions': 1, labels: 3 }); // labels: one more from enrolling (example.com/role)
    expect(h.logs.some((l) => l.msg === 'node status report: fields a node may not set were not written')).toBe(true);
  });
});
