/**
 * How the workload controllers read a Pod's state, as Kubernetes' controller utilities do: active
 * (counts toward replicas), ready (Ready condition True), available (ready for minReadySeconds).
 */
import type { Pod } from '../../protocol/index.js';
import { isTerminal } from '../../protocol/pod-helpers.js';

/** What the workload controllers ask of a pod, worked out once per (frozen, cached) pod object. */
interface PodFacts {
  active: boolean;
  ready: boolean;
  /** When the pod last became ready (epoch ms), or undefined when it is not ready. */
  readySince: number | undefined;
}

/**
 * Facts per pod object: controllers read the same (frozen, cached) pods over and over, a ReplicaSet
 * of 10,000 pods at every status change of one of them; each pod is looked at once per version.
 */
const factsCache = new WeakMap<Pod, PodFacts>();

function podFacts(pod: Pod): PodFacts {
  const known = factsCache.get(pod);
  if (known) return known;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  let readySince: number | undefined;
  if (ready) {
    const t = Date.parse(ready.lastTransitionTime ?? '');
    readySince = Number.isNaN(t) ? 0 : t;
  }
  const facts = { active: !pod.metadata.deletionTimestamp && !isTerminal(pod), ready: ready !== undefined, readySince };
  // only objects that cannot change are remembered
  if (Object.isFrozen(pod) && Object.isFrozen(pod.status ?? pod) && Object.isFrozen(pod.metadata)) factsCache.set(pod, facts);
  return facts;
}

/** Not being deleted and not finished: the pods that count toward a controller's replicas. */
export function isPodActive(pod: Pod): boolean {
  return podFacts(pod).active;
}

export function isPodReady(pod: Pod): boolean {
  return podFacts(pod).ready;
}

/** When the pod last became ready (epoch ms), or undefined when it is not ready. */
export function readySince(pod: Pod): number | undefined {
  return podFacts(pod).readySince;
}

/** Ready for at least minReadySeconds by `now` (a ready pod with no transition time counts as ready long ago). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  const since = readySince(pod);
  if (since === undefined) return false;
  return minReadySeconds <= 0 || since + minReadySeconds * 1000 <= now;
}

/** Milliseconds until a ready but not yet available pod becomes available; undefined when not applicable. */
export function msUntilAvailable(pod: Pod, minReadySeconds: number, now: number): number | undefined {
  const since = readySince(pod);
  if (since === undefined || minReadySeconds <= 0) return undefined;
  const left = since + minReadySeconds * 1000 - now;
  return left > 0 ? left : undefined;
}

/** A set of pods counted in one pass: ready, available, and when the next ready one becomes available. */
export interface PodCounts {
  ready: number;
  available: number;
  /** Milliseconds until the first ready but not yet available pod is available; undefined when none waits. */
  nextAvailableInMs: number | undefined;
}

export function countPods(pods: readonly Pod[], minReadySeconds: number, now: number): PodCounts {
  let ready = 0;
  let available = 0;
  let next: number | undefined;
  for (const pod of pods) {
    const since = podFacts(pod).readySince;
    if (since === undefined) continue;
    ready++;
    const left = minReadySeconds <= 0 ? 0 : since + minReadySeconds * 1000 - now;
    if (left <= 0) available++;
    else next = next === undefined ? left : Math.min(next, left);
  }
  return { ready, available, nextAvailableInMs: next };
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * Kubernetes' ActivePods ordering for scale-down, roughly: the pod to delete first sorts first.
 * Unscheduled before scheduled; Pending before Unknown before Running; not ready before ready; ready
 * for less time before ready for longer; more restarts first; newer before older.
 */
export function compareForDeletion(a: Pod, b: Pod): number {
  const assigned = (p: Pod): number => (p.spec.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (p: Pod): number => PHASE_RANK[p.status?.phase ?? 'Pending'] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ra = readySince(a);
  const rb = readySince(b);
  if ((ra === undefined) !== (rb === undefined)) return ra === undefined ? -1 : 1;
  if (ra !== undefined && rb !== undefined && ra !== rb) return rb - ra;
  const restarts = (p: Pod): number => (p.status?.containerStatuses ?? []).reduce((n, c) => n + c.restartCount, 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const created = (p: Pod): string => p.metadata.creationTimestamp ?? '';
  if (created(a) !== created(b)) return created(a) > created(b) ? -1 : 1;
  return a.metadata.name < b.metadata.name ? 1 : a.metadata.name > b.metadata.name ? -1 : 0;
}
