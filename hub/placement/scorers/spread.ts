import type { Pod } from '../../../protocol/index.js';
import { isTerminal } from '../../../protocol/pod-helpers.js';
import { controllerOf } from '../../../protocol/workload-helpers.js';
import { MAX_NODE_SCORE, type NodeScorer } from './scorer.js';
import { podFacts } from '../facts.js';

const controllerUid = (pod: Pod): string | undefined => controllerOf(pod)?.uid;

/**
 * Whether `other` belongs to the same group as `pod`: same namespace and, when `pod` has a controller
 * owner, the same controller (ownerReferences uid); otherwise `other` carries all of `pod`'s labels.
 * A pod with neither owner nor labels has no group.
 */
export function isPeer(pod: Pod, other: Pod): boolean {
  if (other.metadata.uid !== undefined && other.metadata.uid === pod.metadata.uid) return false;
  if ((other.metadata.namespace ?? 'default') !== (pod.metadata.namespace ?? 'default')) return false;
  const owner = controllerUid(pod);
  if (owner !== undefined) return controllerUid(other) === owner;
  const labels = Object.entries(pod.metadata.labels ?? {});
  if (labels.length === 0) return false;
  const otherLabels = other.metadata.labels ?? {};
  return labels.every(([k, v]) => otherLabels[k] === v);
}

/**
 * Like Kubernetes' (selector) spreading: the raw score is how many of the pod's peers already run on
 * the node; normalized, the node with the most peers scores 0 and a node with none scores 100.
 */
export const spread: NodeScorer<{ owner: string | undefined }> = {
  name: 'Spread',
  preScore: (pod) => ({ owner: podFacts(pod).ownerUid }),
  score(pod, node, snapshot, view, state) {
    const owner = state ? state.owner : podFacts(pod).ownerUid;
    if (owner !== undefined && view) return view.owners.get(owner) ?? 0;
    if (owner !== undefined && snapshot.ownedOnNode) return snapshot.ownedOnNode(node.metadata.name, owner);
    let peers = 0;
    for (const other of snapshot.podsOnNode(node.metadata.name)) {
      if (!isTerminal(other) && isPeer(pod, other)) peers++;
    }
    return peers;
  },
  normalize(scores) {
    let max = 0;
    for (const s of scores) if (s > max) max = s;
    const out = new Array<number>(scores.length);
    for (let i = 0; i < scores.length; i++) out[i] = max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max - scores[i]!)) / max);
    return out;
  },
};
