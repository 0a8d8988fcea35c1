import type { Condition, Pod } from '../../protocol/index.js';
import { findCondition, transitionTime } from '../../protocol/conditions.js';

export const POD_SCHEDULED = 'PodScheduled';
export const UNSCHEDULABLE_REASON = 'Unschedulable';

const podScheduledCondition = (pod: Pod): Condition | undefined => findCondition(pod.status?.conditions, POD_SCHEDULED);

/** Replace (or add) the PodScheduled condition; keeps lastTransitionTime when the status is unchanged. */
function withPodScheduled(pod: Pod, next: Omit<Condition, 'type' | 'lastTransitionTime'>, now: string): Condition[] {
  const previous = podScheduledCondition(pod);
  const condition: Condition = {
    type: POD_SCHEDULED,
    ...next,
    lastProbeTime: null,
    lastTransitionTime: transitionTime(previous, next.status, now),
  };
  const others = (pod.status?.conditions ?? []).filter((c) => c.type !== POD_SCHEDULED);
  return [...others, condition];
}

/** The pod as bound to `nodeName`: spec.nodeName set, PodScheduled True, phase Pending until the agent reports. */
export function boundPod(pod: Pod, nodeName: string, now: string): Pod {
  return {
    ...pod,
    spec: { ...pod.spec, nodeName },
    status: {
      ...pod.status,
      phase: pod.status?.phase ?? 'Pending',
      conditions: withPodScheduled(pod, { status: 'True' }, now),
    },
  };
}

/** Whether the pod already says exactly this: Pending, PodScheduled False, Unschedulable, `message`. */
export function isMarkedUnschedulable(pod: Pod, message: string): boolean {
  const c = podScheduledCondition(pod);
  return pod.status?.phase === 'Pending' && c?.status === 'False' && c.reason === UNSCHEDULABLE_REASON && c.message === message;
}

/** The pod with phase Pending and PodScheduled False, reason Unschedulable, `message`. */
export function unschedulablePod(pod: Pod, message: string, now: string): Pod {
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: 'Pending',
      conditions: withPodScheduled(pod, { status: 'False', reason: UNSCHEDULABLE_REASON, message }, now),
    },
  };
}
