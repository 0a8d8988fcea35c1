/**
 * Kubernetes' taint-based eviction, as a pure rule: when must a pod leave a node carrying NoExecute
 * taints?
 * - A taint the pod does not tolerate evicts it at once, except the node-condition taints
 *   (not-ready, unreachable): those get `defaultGraceMs`, the DefaultTolerationSeconds that
 *   Kubernetes' admission adds to every pod.
 * - A taint tolerated by tolerations with tolerationSeconds evicts it that long after the taint's
 *   timeAdded (the shortest of the tolerations that match); without tolerationSeconds, never
 *   (DaemonSet pods tolerate not-ready and unreachable forever).
 * The pod goes at the earliest of its taints' times.
 */
import type { Pod, Toleration } from '../../../protocol/objects/pod.js';
import type { Taint } from '../../../protocol/objects/node.js';
import { toleratesTaint } from '../../placement/filters/tolerations.js';
import { isNodeConditionTaint } from './node-taints.js';

/** The NoExecute taints of a node. */
export function noExecuteTaints(taints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((t) => t.effect === 'NoExecute');
}

function matchingTolerations(pod: Pod, taint: Taint): Toleration[] {
  return (pod.spec.tolerations ?? []).filter((t) => (!t.effect || t.effect === 'NoExecute') && toleratesTaint(t, taint));
}

/** How long (ms) the pod may stay once `taint` is on its node; Infinity = forever. */
export function toleratedForMs(pod: Pod, taint: Taint, defaultGraceMs: number): number {
  const tolerations = matchingTolerations(pod, taint);
  if (tolerations.length === 0) return isNodeConditionTaint(taint) ? defaultGraceMs : 0;
  let ms = Number.POSITIVE_INFINITY;
  for (const t of tolerations) {
    if (t.tolerationSeconds === undefined) continue;
    ms = Math.min(ms, Math.max(0, t.tolerationSeconds) * 1000);
  }
  return ms;
}

/**
 * When (epoch ms) the pod is to be evicted from a node with these NoExecute taints, or undefined
 * when never. A taint without a parsable timeAdded counts from `now`.
 */
export function evictionTime(pod: Pod, taints: readonly Taint[], defaultGraceMs: number, now: number): number | undefined {
  let at = Number.POSITIVE_INFINITY;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const added = Date.parse(taint.timeAdded ?? '');
    const since = Number.isNaN(added) ? now : added;
    at = Math.min(at, since + toleratedForMs(pod, taint, defaultGraceMs));
  }
  return Number.isFinite(at) ? at : undefined;
}
