/**
 * How the workload controllers read a Pod's state, as Kubernetes' controller utilities do: active
 * (counts toward replicas), ready (Ready condition True), available (ready for minReadySeconds).
 */
import type { Pod } from '../../protocol/index.js';
import { isTerminal } from '../../protocol/pod-helpers.js';

/** Not being deleted and not finished: the pods that count toward a controller's replicas. */
export function isPodActive(pod: Pod): boolean {
  return !pod.metadata.deletionTimestamp && !isTerminal(pod);
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** readySince per pod object: controllers read the same (frozen, cached) pods over and over. */
const readyCache = new WeakMap<Pod, number | null>();

/** When the pod last became ready (epoch ms), or undefined when it is not ready. */
export function readySince(pod: Pod): number | undefined {
  const known = readyCache.get(pod);
  if (known !== undefined) return known ?? undefined;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True');
  let since: number | undefined;
  if (ready) {
    const t = Date.parse(ready.lastTransitionTime ?? '');
    since = Number.isNaN(t) ? 0 : t;
  }
  // only objects that cannot change are remembered
  if (Object.isFrozen(pod.status ?? pod)) readyCache.set(pod, since ?? null);
  return since;
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
