import { describe, expect, it } from 'vitest';
import { emptyRecord, type ContainerRecord } from '../../../agent/pods/container-records.js';
import { computePodStatus, podPhase, podsToReport } from '../../../agent/pods/pod-status.js';
import { qosClassOf } from '../../../protocol/pod-helpers.js';
import type { Observation } from '../../../agent/pods/reconciler.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import type { ContainerInfo } from '../../../runtime-adapters/runtime.js';
import { desiredSet, makePod, TEST_IMAGE } from '../helpers.js';

const NOW = '2026-01-01T00:01:00.000Z';

function info(pod: Pod, container: string, fields: Partial<ContainerInfo>): ContainerInfo {
  return {
    id: `id-${container}`,
    name: `drover_${container}`,
    image: TEST_IMAGE,
    labels: { [RUNTIME_LABELS.podUid]: pod.metadata.uid!, [RUNTIME_LABELS.container]: container },
    state: 'running',
    createdAt: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

function status(pod: Pod, containers: ContainerInfo[], records: Record<string, ContainerRecord> = {}, previous?: Pod['status']) {
  return computePodStatus({
    pod,
    containers,
    record: (name) => records[name],
    runtimeName: 'docker',
    hostIP: '192.0.2.10',
    now: NOW,
    previous,
  });
}

const cond = (s: ReturnType<typeof status>, type: string) => s.conditions?.find((c) => c.type === type);

describe('pod status', () => {
  it('is Pending with ContainerCreating while no container exists', () => {
    const pod = makePod('p');
    const s = status(pod, []);
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses?.[0]).toMatchObject({ name: 'main', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } });
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [main]' });
    expect(cond(s, 'PodScheduled')?.status).toBe('True');
    expect(s.hostIP).toBe('192.0.2.10');
    expect(s.startTime).toBe(NOW);
  });

  it('is Pending with the waiting reason the agent recorded (ErrImagePull)', () => {
    const pod = makePod('p');
    const rec = { ...emptyRecord(), waiting: { reason: 'ErrImagePull', message: 'pull failed' } };
    const s = status(pod, [], { main: rec });
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses?.[0]?.state).toEqual({ waiting: { reason: 'ErrImagePull', message: 'pull failed' } });
  });

  it('is Running and Ready when every container runs, with podIP, containerID and startTime', () => {
    const pod = makePod('p', { containers: [{ name: 'a', image: TEST_IMAGE }, { name: 'b', image: TEST_IMAGE }] });
    const s = status(pod, [
      info(pod, 'a', { startedAt: '2026-01-01T00:00:01.000Z', ip: '172.17.0.5' }),
      info(pod, 'b', { startedAt: '2026-01-01T00:00:02.000Z', ip: '172.17.0.5' }),
    ]);
    expect(s.phase).toBe('Running');
    expect(cond(s, 'Ready')?.status).toBe('True');
    expect(cond(s, 'ContainersReady')?.status).toBe('True');
    expect(s.podIP).toBe('172.17.0.5');
    expect(s.podIPs).toEqual([{ ip: '172.17.0.5' }]);
    expect(s.startTime).toBe('2026-01-01T00:00:00.000Z');
    expect(s.containerStatuses?.[0]).toMatchObject({
      name: 'a',
      ready: true,
      started: true,
      containerID: 'docker://id-a',
      image: TEST_IMAGE,
      state: { running: { startedAt: '2026-01-01T00:00:01.000Z' } },
    });
  });

  it('uses the host IP as podIP for hostNetwork pods', () => {
    const pod = makePod('p', { spec: { hostNetwork: true } });
    expect(status(pod, [info(pod, 'main', { ip: '172.17.0.9' })]).podIP).toBe('192.0.2.10');
  });

  it('is Pending until all containers started', () => {
    const pod = makePod('p', { containers: [{ name: 'a', image: TEST_IMAGE }, { name: 'b', image: TEST_IMAGE }] });
    const s = status(pod, [info(pod, 'a', {})]);
    expect(s.phase).toBe('Pending');
    expect(cond(s, 'Ready')?.message).toBe('containers with unready status: [b]');
  });

  it('shows CrashLoopBackOff with the exit as lastState, and stays Running for restartPolicy Always', () => {
    const pod = makePod('p');
    const rec = { ...emptyRecord(), restartCount: 3, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } };
    const s = status(pod, [info(pod, 'main', { state: 'exited', exitCode: 2, startedAt: 'A', finishedAt: 'B' })], { main: rec });
    expect(s.phase).toBe('Running');
    const c = s.containerStatuses![0]!;
    expect(c.state).toEqual({ waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } });
    expect(c.lastState).toEqual({ terminated: { exitCode: 2, reason: 'Error', startedAt: 'A', finishedAt: 'B', containerID: 'docker://id-main' } });
    expect(c.restartCount).toBe(3);
    expect(c.ready).toBe(false);
  });

  it('reports a restarted container running with the previous exit as lastState', () => {
    const pod = makePod('p');
    const rec = { ...emptyRecord(), restartCount: 1, lastTerminated: { exitCode: 1, reason: 'Error' } };
    const c = status(pod, [info(pod, 'main', {})], { main: rec }).containerStatuses![0]!;
    expect(c.state?.running).toBeDefined();
    expect(c.lastState).toEqual({ terminated: { exitCode: 1, reason: 'Error' } });
    expect(c.restartCount).toBe(1);
  });

  it('is Succeeded when every container exited 0 and the policy does not restart them', () => {
    for (const restartPolicy of ['Never', 'OnFailure'] as const) {
      const pod = makePod('job', { spec: { restartPolicy } });
      const s = status(pod, [info(pod, 'main', { state: 'exited', exitCode: 0 })]);
      expect(s.phase).toBe('Succeeded');
      expect(s.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    }
  });

  it('is Failed when a container failed under restartPolicy Never, with the runtime reason (OOMKilled)', () => {
    const pod = makePod('job', { spec: { restartPolicy: 'Never' } });
    const s = status(pod, [info(pod, 'main', { state: 'exited', exitCode: 137, reason: 'OOMKilled' })]);
    expect(s.phase).toBe('Failed');
    expect(s.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });

  it('phase follows the kubelet for mixed states', () => {
    const running = { name: 'a', ready: true, restartCount: 0, image: 'i', state: { running: {} } };
    const done = { name: 'b', ready: false, restartCount: 0, image: 'i', state: { terminated: { exitCode: 0 } } };
    const failed = { name: 'c', ready: false, restartCount: 0, image: 'i', state: { terminated: { exitCode: 1 } } };
    const unknown = { name: 'd', ready: false, restartCount: 0, image: 'i', state: {} };
    expect(podPhase('Never', [running, done])).toBe('Running');
    expect(podPhase('Never', [done, failed])).toBe('Failed');
    expect(podPhase('OnFailure', [done, failed])).toBe('Running');
    expect(podPhase('Always', [done])).toBe('Running');
    expect(podPhase('Always', [running, unknown])).toBe('Unknown');
  });

  it('keeps a condition\'s lastTransitionTime while its status does not change', () => {
    const pod = makePod('p');
    const first = status(pod, [info(pod, 'main', {})]);
    const later = computePodStatus({ pod, containers: [info(pod, 'main', {})], record: () => undefined, runtimeName: 'docker', hostIP: undefined, now: '2026-01-01T01:00:00.000Z', previous: first });
    expect(cond(later, 'Ready')?.lastTransitionTime).toBe(NOW);
    const crashed = computePodStatus({
      pod,
      containers: [info(pod, 'main', { state: 'exited', exitCode: 1 })],
      record: () => ({ ...emptyRecord(), waiting: { reason: 'CrashLoopBackOff' } }),
      runtimeName: 'docker',
      hostIP: undefined,
      now: '2026-01-01T02:00:00.000Z',
      previous: later,
    });
    expect(cond(crashed, 'Ready')?.lastTransitionTime).toBe('2026-01-01T02:00:00.000Z');
    expect(crashed.startTime).toBe(first.startTime);
  });

  it('computes the QoS class', () => {
    const c = (resources?: object) => makePod('q', { containers: [{ name: 'a', image: TEST_IMAGE, ...(resources ? { resources } : {}) }] });
    expect(qosClassOf(c())).toBe('BestEffort');
    expect(qosClassOf(c({ limits: { cpu: '1', memory: '1Gi' } }))).toBe('Guaranteed');
    expect(qosClassOf(c({ requests: { cpu: '1' } }))).toBe('Burstable');
  });
});

describe('which pods a report covers', () => {
  const obs = (pods: Pod[], containers: [string, ContainerInfo[]][]): Observation => ({
    desired: desiredSet(4, pods),
    containersByPod: new Map(containers),
    knownPods: new Map(pods.map((p) => [p.metadata.uid!, p])),
    at: 0,
  });

  it('covers desired pods and pods still being stopped, and drops deleted pods whose containers are gone', () => {
    const running = makePod('running');
    const deleting = makePod('deleting', { metadata: { deletionTimestamp: NOW } });
    const deleted = makePod('deleted', { metadata: { deletionTimestamp: NOW } });
    const orphanInfo = {
      ...info(makePod('orphan'), 'main', {}),
      labels: { [RUNTIME_LABELS.podUid]: 'uid-orphan', [RUNTIME_LABELS.podName]: 'orphan', [RUNTIME_LABELS.podNamespace]: 'ns1', [RUNTIME_LABELS.container]: 'main' },
    };
    const reported = podsToReport(
      obs([running, deleting, deleted], [
        [deleting.metadata.uid!, [info(deleting, 'main', {})]],
        ['uid-orphan', [orphanInfo]],
      ]),
    );
    expect(reported.map((r) => r.pod.metadata.name)).toEqual(['running', 'deleting', 'orphan']);
    expect(reported[2]!.pod.metadata.namespace).toBe('ns1');
  });
});

describe('pod status with probes', () => {
  const probe = { exec: { command: ['check'] } };
  const pod = makePod('probed', {
    containers: [
      { name: 'web', image: TEST_IMAGE, readinessProbe: probe },
      { name: 'slow', image: TEST_IMAGE, startupProbe: probe },
      { name: 'plain', image: TEST_IMAGE },
    ],
  });
  const running = [info(pod, 'web', {}), info(pod, 'slow', {}), info(pod, 'plain', {})];
  const withProbes = (states: Record<string, { containerId: string; started: boolean; ready: boolean }>) =>
    computePodStatus({ pod, containers: running, record: () => undefined, runtimeName: 'docker', hostIP: undefined, now: NOW, probes: (c) => states[c] });

  it('is not ready before the prober has a word: readiness probe = unready, startup probe = not started', () => {
    const s = withProbes({});
    expect(s.containerStatuses?.map((c) => [c.name, c.started, c.ready])).toEqual([
      ['web', true, false],
      ['slow', false, false],
      ['plain', true, true],
    ]);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web slow]' });
    expect(s.phase).toBe('Running');
  });

  it('follows the prober for the running instance, and ignores a word about an older instance', () => {
    const ready = withProbes({ web: { containerId: 'id-web', started: true, ready: true }, slow: { containerId: 'id-slow', started: true, ready: true } });
    expect(cond(ready, 'Ready')?.status).toBe('True');
    expect(cond(ready, 'ContainersReady')?.status).toBe('True');
    const stale = withProbes({ web: { containerId: 'id-old', started: true, ready: true }, slow: { containerId: 'id-slow', started: true, ready: true } });
    expect(stale.containerStatuses?.[0]?.ready).toBe(false);
    expect(cond(stale, 'Ready')?.status).toBe('False');
  });
});
