/**
 * Pure helpers for the taints the node lifecycle owns, as Kubernetes' node lifecycle controller
 * writes them:
 * - Ready=Unknown (or no Ready condition)  -> node.kubernetes.io/unreachable:NoExecute
 * - Ready=False                            -> node.kubernetes.io/not-ready:NoExecute
 * - spec.unschedulable: true               -> node.kubernetes.io/unschedulable:NoSchedule
 * Each carries timeAdded from when it was first put on; taints of other keys (the user's) are kept
 * as they are, except that a NoExecute taint without timeAdded gets one (eviction times count from it).
 */
import type { Node, Taint } from '../../../protocol/objects/node.js';
import { findCondition } from '../../../protocol/conditions.js';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE } from '../../../protocol/well-known.js';

export { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE };

/** The (key, effect) pairs this controller manages; any other taint belongs to someone else. */
const MANAGED: readonly Pick<Taint, 'key' | 'effect'>[] = [
  { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' },
  { key: TAINT_NODE_NOT_READY, effect: 'NoExecute' },
  { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' },
];

function isManaged(taint: Pick<Taint, 'key' | 'effect'>): boolean {
  return MANAGED.some((m) => m.key === taint.key && m.effect === taint.effect);
}

const sameTaint = (a: Pick<Taint, 'key' | 'effect'>, b: Pick<Taint, 'key' | 'effect'>) => a.key === b.key && a.effect === b.effect;

/** The node's Ready status: 'True', 'False' or 'Unknown' (no Ready condition reads as Unknown). */
export function nodeReadyStatus(node: Node): 'True' | 'False' | 'Unknown' {
  return findCondition(node.status?.conditions, 'Ready')?.status ?? 'Unknown';
}

/** The lifecycle taints the node should carry now (without timeAdded). */
export function wantedLifecycleTaints(node: Node): Pick<Taint, 'key' | 'effect'>[] {
  const wanted: Pick<Taint, 'key' | 'effect'>[] = [];
  const ready = nodeReadyStatus(node);
  if (ready === 'Unknown') wanted.push({ key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' });
  if (ready === 'False') wanted.push({ key: TAINT_NODE_NOT_READY, effect: 'NoExecute' });
  if (node.spec?.unschedulable === true) wanted.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
  return wanted;
}

/**
 * The node's taints as they should be at `now` (an ISO timestamp for timeAdded), or undefined when
 * they already are. Order: the user's taints first, as they were, then the lifecycle ones.
 */
export function reconcileTaints(node: Node, now: string): Taint[] | undefined {
  const current = node.spec?.taints ?? [];
  const wanted = wantedLifecycleTaints(node);
  const others = current
    .filter((t) => !isManaged(t))
    .map((t) => (t.effect === 'NoExecute' && !t.timeAdded ? { ...t, timeAdded: now } : t));
  const lifecycle = wanted.map((w) => {
    const existing = current.find((t) => sameTaint(t, w));
    return existing?.timeAdded ? existing : { key: w.key, effect: w.effect, timeAdded: now };
  });
  const next = [...others, ...lifecycle];
  const unchanged =
    next.length === current.length && next.every((t) => current.some((c) => sameTaint(c, t) && c.value === t.value && c.timeAdded === t.timeAdded));
  return unchanged ? undefined : next;
}

/** Whether the taints include a lifecycle NoExecute taint (the node is not ready or unreachable). */
export function hasNotReadyTaint(taints: readonly Taint[] | undefined): boolean {
  return (taints ?? []).some((t) => t.effect === 'NoExecute' && (t.key === TAINT_NODE_UNREACHABLE || t.key === TAINT_NODE_NOT_READY));
}

export function hasUnschedulableTaint(taints: readonly Taint[] | undefined): boolean {
  return (taints ?? []).some((t) => t.key === TAINT_NODE_UNSCHEDULABLE && t.effect === 'NoSchedule');
}

/** The node-condition taints whose eviction a pod without a matching toleration gets a default grace for. */
export function isNodeConditionTaint(taint: Pick<Taint, 'key'>): boolean {
  return taint.key === TAINT_NODE_UNREACHABLE || taint.key === TAINT_NODE_NOT_READY;
}
