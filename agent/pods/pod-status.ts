/**
 * Pod status, computed as the kubelet computes it, from the pod's spec, what the runtime says about its
 * containers and what the agent remembers (restart counts, waiting reasons, last terminations).
 * Pure functions: pod-status-tracker.ts applies them after each pass, link/pod-status-reporter.ts decides
 * when to publish.
 */
import { findCondition, transitionTime } from '../../protocol/conditions.js';
import type { Condition } from '../../protocol/objects/meta.js';
import type { ContainerState, ContainerStatus, Pod, PodPhase, PodStatus } from '../../protocol/objects/pod.js';
import type { PodStatusEntry } from '../../protocol/messages.js';
import { qosClassOf, RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import type { ContainerInfo } from '../../runtime-adapters/runtime.js';
import { podNamespace, podUid } from '../desired-set.js';
import type { ContainerRecord, TerminatedRecord } from './container-records.js';
import type { ProbeState } from './probes/prober.js';
import { restartPolicyOf } from './pod-runtime.js';
import type { Observation } from './reconciler.js';

export interface PodStatusInput {
  pod: Pod;
  /** The runtime's containers of this pod. */
  containers: ContainerInfo[];
  /** The agent's record of a container of this pod, if any. */
  record: (container: string) => ContainerRecord | undefined;
  runtimeName: string;
  /** The node's InternalIP. */
  hostIP: string | undefined;
  /** The pod's IPs from its sandbox (the pod network), when it has one. */
  podIPs?: string[] | undefined;
  /** ISO time of the computation. */
  now: string;
  /** The status last computed for this pod, to keep transition times and startTime stable. */
  previous?: PodStatus | undefined;
  /** What the prober says about a container of this pod (absent: no probes, or not probed yet). */
  probes?: ((container: string) => ProbeState | undefined) | undefined;
}

export function computePodStatus(input: PodStatusInput): PodStatus {
  const { pod, containers, hostIP, now } = input;
  const byName = new Map(containers.map((c) => [c.labels[RUNTIME_LABELS.container] ?? '', c]));
  const containerStatuses = pod.spec.containers.map((c) =>
    computeContainerStatus({
      name: c.name,
      image: c.image,
      info: byName.get(c.name),
      record: input.record(c.name),
      runtimeName: input.runtimeName,
      probeState: input.probes?.(c.name),
      hasReadinessProbe: !!c.readinessProbe,
      hasStartupProbe: !!c.startupProbe,
    }),
  );
  const phase = podPhase(restartPolicyOf(pod), containerStatuses);
  const status: PodStatus = {
    phase,
    conditions: podConditions(phase, containerStatuses, input.previous?.conditions, now),
    containerStatuses,
    qosClass: qosClassOf(pod),
    startTime: input.previous?.startTime ?? pod.status?.startTime ?? earliest(containers.map((c) => c.createdAt)) ?? now,
  };
  if (hostIP) status.hostIP = hostIP;
  const running = containers.some((c) => c.state === 'running');
  const ips = pod.spec.hostNetwork
    ? hostIP ? [hostIP] : []
    : input.podIPs?.length
      ? running ? input.podIPs : []
      : [containers.find((c) => c.state === 'running' && c.ip)?.ip].filter((ip): ip is string => !!ip);
  if (ips.length > 0) {
    status.podIP = ips[0]!;
    status.podIPs = ips.map((ip) => ({ ip }));
  }
  return status;
}

export interface ContainerStatusInput {
  name: string;
  image: string;
  info: ContainerInfo | undefined;
  record: ContainerRecord | undefined;
  runtimeName: string;
  /** The prober's word on this container; used when it is about the running instance. */
  probeState?: ProbeState | undefined;
  hasReadinessProbe?: boolean;
  hasStartupProbe?: boolean;
}

export function computeContainerStatus(input: ContainerStatusInput): ContainerStatus {
  const { info, record } = input;
  const status: ContainerStatus = {
    name: input.name,
    image: input.image,
    ready: false,
    started: false,
    restartCount: record?.restartCount ?? 0,
  };
  if (info) status.containerID = `${input.runtimeName}://${info.id}`;
  const last = record?.lastTerminated ? { terminated: record.lastTerminated } : undefined;
  if (last) status.lastState = last;
  const waiting = (fallback: string): ContainerState => ({
    waiting: record?.waiting ? { ...record.waiting } : { reason: fallback },
  });

  if (!info) {
    status.state = waiting('ContainerCreating');
    return status;
  }
  switch (info.state) {
    case 'running':
      status.state = { running: info.startedAt ? { startedAt: info.startedAt } : {} };
      if (input.probeState?.containerId === info.id) {
        status.started = input.probeState.started;
        status.ready = input.probeState.ready;
      } else {
        // Not probed yet: a startup probe means not started, a readiness probe means not ready;
        // with neither, a running container is started and ready.
        status.started = !input.hasStartupProbe;
        status.ready = status.started && !input.hasReadinessProbe;
      }
      return status;
    case 'exited': {
      const terminated = terminatedState(info, input.runtimeName);
      if (record?.waiting) {
        // exited and waiting to be restarted (CrashLoopBackOff, ...): the exit is the last state
        status.state = waiting('CrashLoopBackOff');
        status.lastState = { terminated };
      } else {
        status.state = { terminated };
      }
      return status;
    }
    case 'created':
      status.state = waiting('ContainerCreating');
      return status;
    case 'unknown':
      status.state = { waiting: { reason: 'ContainerStatusUnknown', message: info.reason ?? 'the runtime cannot tell the state' } };
      return status;
  }
}

function terminatedState(info: ContainerInfo, runtimeName: string): TerminatedRecord {
  const exitCode = info.exitCode ?? 0;
  const t: TerminatedRecord = {
    exitCode,
    reason: exitCode === 0 ? 'Completed' : 'Error',
    containerID: `${runtimeName}://${info.id}`,
  };
  // A runtime reason that is a single word (OOMKilled) is a reason; anything longer is a message.
  if (info.reason && /^[A-Za-z]+$/.test(info.reason)) t.reason = info.reason;
  else if (info.reason) t.message = info.reason;
  if (info.startedAt) t.startedAt = info.startedAt;
  if (info.finishedAt) t.finishedAt = info.finishedAt;
  return t;
}

/** The kubelet's getPhase. */
export function podPhase(restartPolicy: 'Always' | 'OnFailure' | 'Never', statuses: ContainerStatus[]): PodPhase {
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  let unknown = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (unknown > 0) return 'Unknown';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function podConditions(phase: PodPhase, statuses: ContainerStatus[], previous: Condition[] | undefined, now: string): Condition[] {
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const completed = phase === 'Succeeded' || phase === 'Failed';
  const ready: Omit<Condition, 'type'> = unready.length === 0 && !completed
    ? { status: 'True' }
    : completed
      ? { status: 'False', reason: 'PodCompleted' }
      : { status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  const conditions: Condition[] = [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Initialized', status: 'True' },
    { type: 'ContainersReady', ...ready },
    { type: 'Ready', ...ready },
  ];
  // Each condition is replaced whole, as the kubelet does (protocol's setCondition merges the old one in,
  // which would keep a False condition's reason and message on the True that follows); the transition
  // time follows Kubernetes' rule: it moves only when the status changes.
  return conditions.map((c) => {
    const before = findCondition(previous, c.type);
    return { ...c, lastProbeTime: null, lastTransitionTime: transitionTime(before, c.status, now) };
  });
}

function earliest(times: (string | undefined)[]): string | undefined {
  const valid = times.filter((t): t is string => !!t && !Number.isNaN(Date.parse(t)));
  if (valid.length === 0) return undefined;
  return valid.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}

/** A stand-in spec for a pod the agent only knows from its containers' labels (after a restart). */
export function podFromContainers(uid: string, containers: ContainerInfo[]): Pod {
  const first = containers[0];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      uid,
      name: first?.labels[RUNTIME_LABELS.podName] ?? uid,
      namespace: first?.labels[RUNTIME_LABELS.podNamespace] ?? 'default',
    },
    spec: {
      containers: containers.map((c) => ({ name: c.labels[RUNTIME_LABELS.container] ?? c.name, image: c.image })),
    },
  };
}

export interface ReportedPod {
  uid: string;
  pod: Pod;
  containers: ContainerInfo[];
}

/**
 * The pods a full report covers: every pod of the desired set that should run, plus every pod that
 * still has containers (being stopped). A deleted pod whose containers are gone is not in it: that is
 * how the hub learns its deletion is complete.
 */
export function podsToReport(observation: Observation): ReportedPod[] {
  const out: ReportedPod[] = [];
  const seen = new Set<string>();
  for (const pod of observation.desired?.pods ?? []) {
    const uid = podUid(pod);
    if (seen.has(uid)) continue;
    const containers = observation.containersByPod.get(uid) ?? [];
    if (pod.metadata.deletionTimestamp && containers.length === 0) continue;
    seen.add(uid);
    out.push({ uid, pod, containers });
  }
  for (const [uid, containers] of observation.containersByPod) {
    if (seen.has(uid) || containers.length === 0) continue;
    seen.add(uid);
    out.push({ uid, pod: observation.knownPods.get(uid) ?? podFromContainers(uid, containers), containers });
  }
  return out;
}

export function toEntry(reported: ReportedPod, status: PodStatus): PodStatusEntry {
  return { namespace: podNamespace(reported.pod), name: reported.pod.metadata.name, uid: reported.uid, status };
}
