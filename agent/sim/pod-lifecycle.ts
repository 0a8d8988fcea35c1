/**
 * The pods of one simulated node: what a kubelet with an instant, perfect runtime would report. A pod
 * of the desired set is Pending (every container waiting in ContainerCreating) as soon as it arrives,
 * and Running after `runningAfterMs`, every container running, started and ready, with the conditions
 * agent/pods/pod-status.ts writes (test/agent/sim/pod-lifecycle.test.ts compares the two). A pod that
 * leaves the set, or arrives with a deletionTimestamp, keeps its last status for `stopAfterMs` and
 * then drops out of the report: the next full report no longer lists it, which is how the hub
 * completes its deletion. Nothing runs, nothing restarts, nothing exits.
 *
 * agent/sim may not import agent/pods (lint rule), so the few lines of the status shape are written
 * again here, on the same protocol types.
 */
import { createHash } from 'node:crypto';
import type { Condition } from '../../protocol/objects/meta.js';
import type { ContainerStatus, Pod, PodStatus } from '../../protocol/objects/pod.js';
import { qosClassOf } from '../../protocol/pod-helpers.js';
import type { PodStatusEntry } from '../../protocol/messages.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { podNamespace, podUid, type DesiredSet } from '../desired-set.js';
import type { PodStatusReport } from '../link/pod-status-reporter.js';

/** The runtime name in containerIDs (`sim://...`). */
export const SIM_RUNTIME = 'sim';

export interface SimPodTimes {
  /** When the pod arrived (its first status: PodScheduled, Initialized, startTime). */
  arrivedAt: number;
  /** When its containers "started"; absent while Pending. */
  runningAt?: number | undefined;
}

/** A stable fake container id for a pod's container. */
export function simContainerId(uid: string, container: string): string {
  return createHash('sha256').update(`${uid}/${container}`).digest('hex').slice(0, 24);
}

/** The status a simulated pod reports: Pending until `runningAt`, Running from then on. */
export function simPodStatus(pod: Pod, times: SimPodTimes, hostIP: string, podIP: string): PodStatus {
  const running = times.runningAt !== undefined;
  const arrived = preciseTimestamp(times.arrivedAt);
  const uid = podUid(pod);
  const containerStatuses: ContainerStatus[] = pod.spec.containers.map((c) => {
    const status: ContainerStatus = { name: c.name, image: c.image, ready: running, started: running, restartCount: 0 };
    if (running) {
      status.containerID = `${SIM_RUNTIME}://${simContainerId(uid, c.name)}`;
      status.state = { running: { startedAt: preciseTimestamp(times.runningAt!) } };
    } else {
      status.state = { waiting: { reason: 'ContainerCreating' } };
    }
    return status;
  });
  const ready: Omit<Condition, 'type'> = running
    ? { status: 'True' }
    : { status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${pod.spec.containers.map((c) => c.name).join(' ')}]` };
  const readySince = running ? preciseTimestamp(times.runningAt!) : arrived;
  const conditions: Condition[] = [
    { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: arrived },
    { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: arrived },
    { type: 'ContainersReady', ...ready, lastProbeTime: null, lastTransitionTime: readySince },
    { type: 'Ready', ...ready, lastProbeTime: null, lastTransitionTime: readySince },
  ];
  const status: PodStatus = {
    phase: running ? 'Running' : 'Pending',
    conditions,
    containerStatuses,
    qosClass: qosClassOf(pod),
    startTime: arrived,
    hostIP,
  };
  // as the kubelet: a host-network pod has the node's address; another gets its own once a container runs
  const ip = pod.spec.hostNetwork ? hostIP : running ? podIP : undefined;
  if (ip) {
    status.podIP = ip;
    status.podIPs = [{ ip }];
  }
  return status;
}

export interface SimPodsOptions {
  hostIP: string;
  /** The pod IP for the node's k-th pod. */
  podIP: (k: number) => string;
  runningAfterMs: number;
  stopAfterMs: number;
  clock: () => number;
  /** Every pod's status after a change (once per desired set and per batch of transitions): the reporter's observe(). */
  onChange: (report: PodStatusReport) => void;
}

export interface SimPodCounts {
  /** Pods of the current desired set. */
  desired: number;
  pending: number;
  running: number;
  /** Left the set, not yet dropped from the report. */
  stopping: number;
}

export interface SimPods {
  setDesired(set: DesiredSet): void;
  /** Every reported pod's status, as last computed. */
  report(): PodStatusReport;
  counts(): SimPodCounts;
  /** Cancel the timers (the node stops). */
  stop(): void;
}

interface PodState {
  pod: Pod;
  times: SimPodTimes;
  podIP: string;
  stopping: boolean;
  entry: PodStatusEntry;
}

export function createSimPods(opts: SimPodsOptions): SimPods {
  const pods = new Map<string, PodState>();
  // One timer per batch (the pods that arrived, or left, with one desired set), not one per pod.
  const timers = new Set<NodeJS.Timeout>();
  let generation = 0;
  let nextIP = 0;
  let stopped = false;

  const report = (): PodStatusReport => ({ generation, pods: [...pods.values()].map((s) => s.entry) });
  const emit = (): void => {
    if (!stopped) opts.onChange(report());
  };

  function compute(state: PodState): void {
    state.entry = {
      namespace: podNamespace(state.pod),
      name: state.pod.metadata.name,
      uid: podUid(state.pod),
      status: simPodStatus(state.pod, state.times, opts.hostIP, state.podIP),
    };
  }

  function later(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (stopped) return;
      run();
      emit();
    }, ms);
    timers.add(timer);
  }

  function becomeRunning(uids: string[]): void {
    const now = opts.clock();
    for (const uid of uids) {
      const state = pods.get(uid);
      if (!state || state.stopping) continue;
      state.times = { ...state.times, runningAt: now };
      compute(state);
    }
  }

  return {
    setDesired(set) {
      generation = set.generation;
      const wanted = new Set<string>();
      const arrived: string[] = [];
      const now = opts.clock();
      for (const pod of set.pods) {
        const uid = podUid(pod);
        if (pod.metadata.deletionTimestamp) continue;
        wanted.add(uid);
        const known = pods.get(uid);
        if (known) {
          if (!known.stopping) known.pod = pod;
          continue;
        }
        const state: PodState = { pod, times: { arrivedAt: now }, podIP: opts.podIP(nextIP++), stopping: false, entry: undefined as unknown as PodStatusEntry };
        if (opts.runningAfterMs === 0) state.times.runningAt = now;
        compute(state);
        pods.set(uid, state);
        arrived.push(uid);
      }
      if (arrived.length > 0 && opts.runningAfterMs > 0) later(opts.runningAfterMs, () => becomeRunning(arrived));
      const leaving: string[] = [];
      for (const [uid, state] of pods) {
        if (wanted.has(uid) || state.stopping) continue;
        state.stopping = true;
        leaving.push(uid);
      }
      if (leaving.length > 0) {
        const drop = () => {
          for (const uid of leaving) if (pods.get(uid)?.stopping) pods.delete(uid);
        };
        if (opts.stopAfterMs === 0) drop();
        else later(opts.stopAfterMs, drop);
      }
      emit();
    },
    report,
    counts() {
      const c: SimPodCounts = { desired: 0, pending: 0, running: 0, stopping: 0 };
      for (const s of pods.values()) {
        if (s.stopping) c.stopping++;
        else {
          c.desired++;
          if (s.times.runningAt === undefined) c.pending++;
          else c.running++;
        }
      }
      return c;
    },
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}
