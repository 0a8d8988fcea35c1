/** Status conditions (Node, Pod, Deployment, ...), with Kubernetes' transition-time rule. Pure helpers. */
import type { Condition } from './objects/meta.js';

/**
 * Kubernetes' transition rule, for every kind of condition: lastTransitionTime moves to `now` only when
 * the status changes (or there was no condition, or it had no time).
 */
export function transitionTime(previous: Pick<Condition, 'status' | 'lastTransitionTime'> | undefined, status: string, now: string): string {
  return previous && previous.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : now;
}

/**
 * Set (or add) the condition of `next.type`. lastTransitionTime becomes `now` only when the status
 * changes; fields `next` leaves out (e.g. lastHeartbeatTime) are kept from the old condition.
 */
export function setCondition(conditions: Condition[] | undefined, next: Condition, now: string): Condition[] {
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === next.type);
  const old = index >= 0 ? list[index] : undefined;
  const merged: Condition = {
    ...old,
    ...next,
    lastTransitionTime: transitionTime(old, next.status, now),
  };
  if (index < 0) return [...list, merged];
  return list.map((c, i) => (i === index ? merged : c));
}

export function findCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
