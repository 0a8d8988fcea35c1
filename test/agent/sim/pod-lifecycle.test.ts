/**
 * The simulated pods: their status is what the agent's own pod status code (agent/pods/pod-status.ts,
 * which agent/sim may not import) computes for the same pod with a perfect runtime, and the lifecycle
 * is Pending -> Running after the delay, dropped from the report after leaving the set.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { computePodStatus } from '../../../agent/pods/pod-status.js';
import { createSimPods, simContainerId, simPodStatus, SIM_RUNTIME } from '../../../agent/sim/pod-lifecycle.js';
import type { PodStatusReport } from '../../../agent/link/pod-status-reporter.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { preciseTimestamp } from '../../../protocol/time.js';
import type { ContainerInfo } from '../../../runtime-adapters/runtime.js';
import { desiredSet, makePod, TEST_IMAGE } from '../helpers.js';

const HOST_IP = '10.64.0.1';
const POD_IP = '10.128.0.2';
const ARRIVED = Date.parse('2026-01-01T00:00:00.250Z');
const RUNNING = ARRIVED + 1500;

function runningInfo(pod: Pod, container: string): ContainerInfo {
  return {
    id: simContainerId(pod.metadata.uid!, container),
    name: `drover_${container}`,
    image: TEST_IMAGE,
    labels: { [RUNTIME_LABELS.podUid]: pod.metadata.uid!, [RUNTIME_LABELS.container]: container },
    state: 'running',
    createdAt: preciseTimestamp(ARRIVED),
    startedAt: preciseTimestamp(RUNNING),
    ip: POD_IP,
  };
}

/** What the agent reports for `pod`: first pass with no container yet, second with every container running. */
function agentStatuses(pod: Pod) {
  const base = { pod, record: () => undefined, runtimeName: SIM_RUNTIME, hostIP: HOST_IP };
  const pending = computePodStatus({ ...base, containers: [], now: preciseTimestamp(ARRIVED) });
  const containers = pod.spec.containers.map((c) => runningInfo(pod, c.name));
  const running = computePodStatus({ ...base, containers, now: preciseTimestamp(RUNNING), previous: pending });
  return { pending, running };
}

const pods: [string, Pod][] = [
  ['one container, no requests (BestEffort)', makePod('web')],
  [
    'two containers with requests (Burstable)',
    makePod('two', { containers: [{ name: 'a', image: TEST_IMAGE, resources: { requests: { cpu: '10m' } } }, { name: 'b', image: TEST_IMAGE }] }),
  ],
  [
    'requests equal to limits (Guaranteed)',
    makePod('g', { containers: [{ name: 'a', image: TEST_IMAGE, resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '100m', memory: '64Mi' } } }] }),
  ],
  ['host network (podIP = the node address, also while Pending)', makePod('h', { spec: { hostNetwork: true } })],
];

describe('simulated pod status', () => {
  it.each(pods)('%s: Pending and Running as the agent computes them', (_what, pod) => {
    const agent = agentStatuses(pod);
    const hostNetwork = !!pod.spec.hostNetwork;
    expect(simPodStatus(pod, { arrivedAt: ARRIVED }, HOST_IP, POD_IP)).toEqual(agent.pending);
    const running = simPodStatus(pod, { arrivedAt: ARRIVED, runningAt: RUNNING }, HOST_IP, hostNetwork ? HOST_IP : POD_IP);
    const expected = hostNetwork ? { ...agent.running, podIP: HOST_IP, podIPs: [{ ip: HOST_IP }] } : agent.running;
    expect(running).toEqual(expected);
    expect(running.phase).toBe('Running');
    expect(running.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});

describe('simulated pod lifecycle', () => {
  let reports: PodStatusReport[];
  beforeEach(() => {
    vi.useFakeTimers({ now: ARRIVED });
    reports = [];
  });
  afterEach(() => vi.useRealTimers());

  const create = (opts: { runningAfterMs?: number; stopAfterMs?: number } = {}) =>
    createSimPods({
      hostIP: HOST_IP,
      podIP: (k) => `10.128.0.${2 + k}`,
      runningAfterMs: opts.runningAfterMs ?? 1000,
      stopAfterMs: opts.stopAfterMs ?? 500,
      clock: () => Date.now(),
      onChange: (r) => reports.push(r),
    });
  const tick = (ms: number) => vi.advanceTimersByTimeAsync(ms);
  const phases = (r: PodStatusReport | undefined) => Object.fromEntries((r?.pods ?? []).map((p) => [p.name, p.status.phase]));

  it('reports a new pod Pending at once and Running after the delay, with the set\'s generation', async () => {
    const sim = create();
    sim.setDesired(desiredSet(7, [makePod('a'), makePod('b')]));
    await tick(0);
    expect(phases(reports.at(-1))).toEqual({ a: 'Pending', b: 'Pending' });
    expect(reports.at(-1)?.generation).toBe(7);
    expect(sim.counts()).toEqual({ desired: 2, pending: 2, running: 0, stopping: 0 });
    await tick(1000);
    expect(phases(reports.at(-1))).toEqual({ a: 'Running', b: 'Running' });
    expect(sim.counts()).toMatchObject({ running: 2 });
    // the two transitions at the same moment made one report, not two
    expect(reports.filter((r) => r.pods.every((p) => p.status.phase === 'Running'))).toHaveLength(1);
    sim.stop();
  });

  it('keeps a pod that stays in the next set as it is (no restart, same times)', async () => {
    const sim = create();
    sim.setDesired(desiredSet(1, [makePod('a')]));
    await tick(1000);
    const before = reports.at(-1)!.pods[0]!;
    sim.setDesired(desiredSet(2, [makePod('a', { metadata: { labels: { x: 'y' } } }), makePod('b')]));
    await tick(0);
    expect(reports.at(-1)!.pods.find((p) => p.name === 'a')).toEqual(before);
    sim.stop();
  });

  it('drops a pod that left the set, or arrived terminating, after the stop delay', async () => {
    const sim = create();
    sim.setDesired(desiredSet(1, [makePod('a'), makePod('b')]));
    await tick(1000);
    sim.setDesired(desiredSet(2, [makePod('b', { metadata: { deletionTimestamp: '2026-01-01T00:00:30Z' } })]));
    await tick(0);
    // still reported (being stopped) ...
    expect(phases(reports.at(-1))).toEqual({ a: 'Running', b: 'Running' });
    expect(sim.counts()).toEqual({ desired: 0, pending: 0, running: 0, stopping: 2 });
    await tick(500);
    // ... then gone
    expect(reports.at(-1)?.pods).toEqual([]);
    expect(sim.counts()).toEqual({ desired: 0, pending: 0, running: 0, stopping: 0 });
    sim.stop();
  });

  it('with zero delays: Running at once, dropped at once', async () => {
    const sim = create({ runningAfterMs: 0, stopAfterMs: 0 });
    sim.setDesired(desiredSet(1, [makePod('a')]));
    await tick(0);
    expect(phases(reports.at(-1))).toEqual({ a: 'Running' });
    sim.setDesired(desiredSet(2, []));
    await tick(0);
    expect(reports.at(-1)?.pods).toEqual([]);
    sim.stop();
  });
});
