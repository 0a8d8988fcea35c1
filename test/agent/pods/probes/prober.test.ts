import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createPodEventQueue, type PodEventQueue } from '../../../../agent/pods/pod-events.js';
import { createProber, resolveProbePort, type ProbeFailure, type Prober } from '../../../../agent/pods/probes/prober.js';
import type { Observation } from '../../../../agent/pods/reconciler.js';
import { silentLogger } from '../../../../protocol/logger.js';
import type { Container, Pod, Probe } from '../../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../../protocol/pod-helpers.js';
import type { ContainerInfo, ExecResult } from '../../../../runtime-adapters/runtime.js';
import { desiredSet, makePod } from '../../helpers.js';

/** An exec "runtime" whose answer the test sets: exit code per call, or a hang. */
function scriptedExec() {
  let exitCode = 0;
  let output = '';
  const calls: string[][] = [];
  return {
    calls,
    set(code: number, out = '') {
      exitCode = code;
      output = out;
    },
    runtime: {
      exec: async (_id: string, argv: string[]): Promise<ExecResult> => {
        calls.push(argv);
        return { exitCode, stdout: output, stderr: '' };
      },
    },
  };
}

const probe = (p: Partial<Probe> = {}): Probe => ({ exec: { command: ['check'] }, periodSeconds: 10, ...p });

function running(pod: Pod, container: string, id: string): ContainerInfo {
  return {
    id,
    name: `${pod.metadata.name}-${container}`,
    image: 'img',
    state: 'running',
    ip: '127.0.0.1',
    labels: { [RUNTIME_LABELS.podUid]: pod.metadata.uid!, [RUNTIME_LABELS.container]: container },
  };
}

function observation(pod: Pod, infos: ContainerInfo[]): Observation {
  return {
    desired: desiredSet(1, [pod]),
    containersByPod: new Map([[pod.metadata.uid!, infos]]),
    knownPods: new Map([[pod.metadata.uid!, pod]]),
    at: Date.now(),
  };
}

describe('prober (fake timers)', () => {
  let exec: ReturnType<typeof scriptedExec>;
  let prober: Prober;
  let failures: ProbeFailure[];
  let changes: number;
  let events: PodEventQueue;

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-01-01T00:00:00Z') });
    exec = scriptedExec();
    failures = [];
    changes = 0;
    events = createPodEventQueue({ logger: silentLogger() });
    prober = createProber({
      runtime: exec.runtime,
      logger: silentLogger(),
      events,
      onChange: () => changes++,
      onFailure: (f) => failures.push(f),
    });
  });
  afterEach(() => {
    prober.stop();
    vi.useRealTimers();
  });

  const podWith = (c: Partial<Container>): Pod => makePod('probed', { containers: [{ name: 'web', image: 'img', ...c }] });
  const uid = 'uid-probed-0000-1111';
  const seconds = (s: number) => vi.advanceTimersByTimeAsync(s * 1000);

  it('readiness: not ready until the first success after initialDelaySeconds, unready after failureThreshold failures', async () => {
    const pod = podWith({ readinessProbe: probe({ initialDelaySeconds: 5, periodSeconds: 2, failureThreshold: 2 }) });
    prober.sync(observation(pod, [running(pod, 'web', 'c1')]));
    expect(prober.state(uid, 'web')).toEqual({ containerId: 'c1', started: true, ready: false });
    await seconds(4.9);
    expect(exec.calls).toHaveLength(0); // initial delay
    await seconds(0.2);
    expect(exec.calls).toHaveLength(1);
    expect(prober.state(uid, 'web')?.ready).toBe(true);
    expect(changes).toBe(1);

    exec.set(1, 'not yet');
    await seconds(2);
    expect(prober.state(uid, 'web')?.ready).toBe(true); // one failure < threshold 2
    await seconds(2);
    expect(prober.state(uid, 'web')?.ready).toBe(false);
    expect(changes).toBe(2);
    const unhealthy = events.take(10).filter((e) => e.reason === 'Unhealthy');
    expect(unhealthy).toEqual([expect.objectContaining({ type: 'Warning', message: 'Readiness probe failed: not yet', count: 2, fieldPath: 'spec.containers{web}' })]);
    expect(failures).toEqual([]); // readiness never kills
  });

  it('successThreshold: needs that many successes in a row to become ready', async () => {
    const pod = podWith({ readinessProbe: probe({ periodSeconds: 1, successThreshold: 3 }) });
    prober.sync(observation(pod, [running(pod, 'web', 'c1')]));
    await seconds(0); // first probe at once (no initial delay)
    await seconds(1);
    expect(exec.calls).toHaveLength(2);
    expect(prober.state(uid, 'web')?.ready).toBe(false);
    await seconds(1);
    expect(prober.state(uid, 'web')?.ready).toBe(true);
  });

  it('liveness: failureThreshold failures call onFailure once, then hold until a new container instance', async () => {
    const pod = podWith({ livenessProbe: probe({ periodSeconds: 1, failureThreshold: 3, terminationGracePeriodSeconds: 4 }) });
    prober.sync(observation(pod, [running(pod, 'web', 'c1')]));
    // no readiness probe: ready at once
    expect(prober.state(uid, 'web')).toEqual({ containerId: 'c1', started: true, ready: true });
    exec.set(1);
    await seconds(0);
    await seconds(1);
    expect(failures).toHaveLength(0);
    await seconds(1);
    expect(failures).toEqual([
      { pod, container: 'web', containerId: 'c1', kind: 'liveness', message: 'Container web failed liveness probe, will be restarted', graceSeconds: 4 },
    ]);
    const probesBefore = exec.calls.length;
    await seconds(5);
    expect(exec.calls.length).toBe(probesBefore); // on hold
    expect(failures).toHaveLength(1);

    // the reconciler restarted it: a new instance is probed from scratch
    exec.set(0);
    prober.sync(observation(pod, [running(pod, 'web', 'c2')]));
    await seconds(3);
    expect(exec.calls.length).toBeGreaterThan(probesBefore);
    expect(failures).toHaveLength(1);
    const messages = events.take(10).map((e) => `${e.reason}: ${e.message} x${e.count}`);
    expect(messages).toEqual(['Unhealthy: Liveness probe failed: command ["check"] exited with code 1 x3']);
  });

  it('startup gates readiness and liveness; once started it is not run again', async () => {
    const pod = podWith({
      startupProbe: probe({ exec: { command: ['startup'] }, periodSeconds: 1, failureThreshold: 30 }),
      readinessProbe: probe({ exec: { command: ['ready'] }, periodSeconds: 1 }),
      livenessProbe: probe({ exec: { command: ['live'] }, periodSeconds: 1 }),
    });
    exec.set(1);
    prober.sync(observation(pod, [running(pod, 'web', 'c1')]));
    expect(prober.state(uid, 'web')).toEqual({ containerId: 'c1', started: false, ready: false });
    await seconds(0);
    await seconds(3);
    expect(new Set(exec.calls.map((c) => c[0]))).toEqual(new Set(['startup']));
    expect(failures).toEqual([]);
    exec.set(0);
    await seconds(1);
    // the startup success lets the readiness worker run on its tick (the same instant here)
    expect(prober.state(uid, 'web')).toEqual({ containerId: 'c1', started: true, ready: true });
    const names = exec.calls.map((c) => c[0]);
    expect(names.indexOf('ready')).toBeGreaterThan(names.lastIndexOf('startup'));
    const startupRuns = exec.calls.filter((c) => c[0] === 'startup').length;
    await seconds(3);
    expect(exec.calls.filter((c) => c[0] === 'startup').length).toBe(startupRuns);
    expect(exec.calls.filter((c) => c[0] === 'live').length).toBeGreaterThanOrEqual(3);
  });

  it('startup failing failureThreshold times kills like liveness', async () => {
    const pod = podWith({ startupProbe: probe({ periodSeconds: 1, failureThreshold: 2 }) });
    exec.set(1);
    prober.sync(observation(pod, [running(pod, 'web', 'c1')]));
    await seconds(0);
    await seconds(1);
    expect(failures.map((f) => [f.kind, f.message])).toEqual([['startup', 'Container web failed startup probe, will be restarted']]);
  });

  it('forgets a container that stops running or whose pod is gone; keeps the last word while the pod terminates', async () => {
    const pod = podWith({ readinessProbe: probe({ periodSeconds: 1 }) });
    prober.sync(observation(pod, [running(pod, 'web', 'c1')]));
    await seconds(0);
    expect(prober.state(uid, 'web')?.ready).toBe(true);
    const terminating = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:10Z' } };
    prober.sync(observation(terminating, [running(pod, 'web', 'c1')]));
    const calls = exec.calls.length;
    await seconds(3);
    expect(exec.calls.length).toBe(calls); // not probed while terminating
    expect(prober.state(uid, 'web')?.ready).toBe(true);
    prober.sync(observation(pod, [{ ...running(pod, 'web', 'c1'), state: 'exited', exitCode: 0 }]));
    expect(prober.state(uid, 'web')).toBeUndefined();
  });

  it('resolves named ports from the container ports', () => {
    const c: Container = { name: 'web', image: 'img', ports: [{ name: 'http', containerPort: 8080 }] };
    expect(resolveProbePort('http', c)).toBe(8080);
    expect(resolveProbePort(81, c)).toBe(81);
    expect(resolveProbePort('82', c)).toBe(82);
    expect(resolveProbePort('metrics', c)).toBeUndefined();
  });
});
