/**
 * The pure part of the Job controller: from a Job and the pods it controls, what it has achieved
 * (succeeded, failed, completed indexes), whether it has finished or must fail (backoffLimit,
 * activeDeadlineSeconds, a podFailurePolicy FailJob rule), and which pods to create next, with the
 * pod failure back-off (10 s doubling, at most 6 min) of Kubernetes' job controller.
 */
import type { Job } from '../../../protocol/objects/job.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { JOB_COMPLETION_INDEX } from '../../../protocol/well-known.js';
import { formatIndexes, parseIndexes } from './indexes.js';
import { matchPodFailurePolicy } from './pod-failure-policy.js';

/** Kubernetes' DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff. */
export const POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 360_000;

export interface Failure {
  reason: 'BackoffLimitExceeded' | 'DeadlineExceeded' | 'PodFailurePolicy';
  message: string;
}

export interface JobState {
  /** Pending or running, not terminating. */
  active: Pod[];
  ready: number;
  terminating: number;
  succeeded: number;
  failed: number;
  /** Indexed Jobs: the completed indexes, in Kubernetes' text form. */
  completedIndexes?: string;
  /** The Job has all the completions it needs. */
  complete: boolean;
  /** Why the Job must fail, if it must. */
  failure?: Failure;
  /** Indexed Jobs: the indexes with neither a success nor an active pod, lowest first. */
  missingIndexes: number[];
  /** How many more pods to run now (before the back-off). */
  wantMore: number;
  /** Milliseconds until the pod failure back-off allows the next pod (0: now). */
  backoffRemainingMs: number;
}

const finished = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export function podIndex(pod: Pod): number | undefined {
  const text = pod.metadata.annotations?.[JOB_COMPLETION_INDEX];
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

/** When a finished pod finished: its containers' last finishedAt, else its Ready condition's last transition. */
export function podFinishedAt(pod: Pod, fallback: number): number {
  let last = 0;
  for (const s of pod.status?.containerStatuses ?? []) {
    const t = Date.parse(s.state?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(t)) last = Math.max(last, t);
  }
  if (last > 0) return last;
  const ready = Date.parse(pod.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
  return Number.isNaN(ready) ? fallback : ready;
}

/** Kubernetes' back-off for the n-th consecutive failure: 10 s, 20 s, 40 s, ... at most 6 min. */
export function failureBackoffMs(failuresAfterLastSuccess: number): number {
  if (failuresAfterLastSuccess <= 0) return 0;
  return Math.min(MAX_POD_FAILURE_BACKOFF_MS, POD_FAILURE_BACKOFF_MS * 2 ** Math.min(failuresAfterLastSuccess - 1, 30));
}

const readyPod = (p: Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export function jobState(job: Job, pods: readonly Pod[], now: number): JobState {
  const indexed = job.spec.completionMode === 'Indexed';
  const completions = job.spec.completions;
  const parallelism = job.spec.parallelism ?? 1;
  const active = pods.filter((p) => !finished(p) && !p.metadata.deletionTimestamp);
  const terminating = pods.filter((p) => !finished(p) && p.metadata.deletionTimestamp).length;
  const succeededPods = pods.filter((p) => p.status?.phase === 'Succeeded');
  const failedPods = pods.filter((p) => p.status?.phase === 'Failed');

  let failure: Failure | undefined;
  const counted: Pod[] = [];
  for (const pod of failedPods) {
    const match = matchPodFailurePolicy(job, pod);
    if (match.action === 'Ignore') continue;
    if (match.action === 'FailJob' && !failure) failure = { reason: 'PodFailurePolicy', message: match.message! };
    counted.push(pod);
  }
  // counters only grow: pods a user deleted stay counted (Kubernetes keeps them with a finalizer)
  const failed = Math.max(job.status?.failed ?? 0, counted.length);

  let succeeded: number;
  let completedIndexes: string | undefined;
  const done = new Set<number>();
  if (indexed) {
    for (const i of parseIndexes(job.status?.completedIndexes)) done.add(i);
    for (const p of succeededPods) {
      const i = podIndex(p);
      if (i !== undefined && i < (completions ?? 0)) done.add(i);
    }
    succeeded = done.size;
    completedIndexes = formatIndexes(done);
  } else {
    succeeded = Math.max(job.status?.succeeded ?? 0, succeededPods.length);
  }

  const complete = completions !== undefined ? succeeded >= completions : succeeded > 0 && active.length === 0;

  // OnFailure: the kubelet restarts the containers in place; their restarts count toward backoffLimit
  const restarts =
    job.spec.template.spec.restartPolicy === 'OnFailure'
      ? active.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, s) => m + s.restartCount, 0), 0)
      : 0;
  const backoffLimit = job.spec.backoffLimit ?? 6;
  if (!failure && failed + restarts > backoffLimit) failure = { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
  const start = Date.parse(job.status?.startTime ?? '');
  if (!failure && !complete && job.spec.activeDeadlineSeconds !== undefined && !Number.isNaN(start) && now - start >= job.spec.activeDeadlineSeconds * 1000) {
    failure = { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
  }

  const missingIndexes: number[] = [];
  let wantMore: number;
  if (indexed) {
    const running = new Set(active.map(podIndex).filter((i): i is number => i !== undefined));
    for (let i = 0; i < (completions ?? 0); i++) if (!done.has(i) && !running.has(i)) missingIndexes.push(i);
    wantMore = Math.max(0, Math.min(parallelism - active.length, missingIndexes.length));
  } else if (completions !== undefined) {
    wantMore = Math.max(0, Math.min(parallelism, completions - succeeded) - active.length);
  } else {
    wantMore = succeeded > 0 ? 0 : Math.max(0, parallelism - active.length);
  }

  // back-off: consecutive failures since the last success, from the last of them
  const lastSuccess = succeededPods.reduce((t, p) => Math.max(t, podFinishedAt(p, now)), 0);
  const recent = counted.map((p) => podFinishedAt(p, now)).filter((t) => t > lastSuccess);
  const backoffRemainingMs = recent.length === 0 ? 0 : Math.max(0, Math.max(...recent) + failureBackoffMs(recent.length) - now);

  return {
    active,
    ready: active.filter(readyPod).length,
    terminating,
    succeeded,
    failed,
    ...(indexed ? { completedIndexes } : {}),
    complete,
    ...(failure ? { failure } : {}),
    missingIndexes,
    wantMore,
    backoffRemainingMs,
  };
}
