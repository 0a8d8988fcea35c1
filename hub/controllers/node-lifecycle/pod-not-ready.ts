/**
 * Kubernetes' node controller marks the pods of a node that is not Ready as not ready themselves
 * (condition Ready=False), so that Deployments and Services stop counting them while nobody can
 * tell whether they still run. The agent's next report, once the node is back, says the truth again.
 */
import type { Pod } from '../../../protocol/objects/pod.js';
import { findCondition, setCondition } from '../../../protocol/conditions.js';

export const NODE_NOT_READY_REASON = 'NodeNotReady';

/** The pod with Ready=False (reason NodeNotReady), or undefined when it already says Ready=False. */
export function markedNotReady(pod: Pod, nodeName: string, now: string): Pod | undefined {
  const ready = findCondition(pod.status?.conditions, 'Ready');
  if (ready?.status === 'False') return undefined;
  const conditions = setCondition(
    pod.status?.conditions,
    { type: 'Ready', status: 'False', reason: NODE_NOT_READY_REASON, message: `node ${nodeName} is not ready` },
    now,
  );
  return { ...pod, status: { ...pod.status, conditions } };
}
