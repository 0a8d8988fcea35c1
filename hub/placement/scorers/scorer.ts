import type { Node, Pod } from '../../../protocol/index.js';
import type { ClusterSnapshot, NodeView } from '../snapshot.js';

export const MAX_NODE_SCORE = 100;

/**
 * Ranks the nodes that passed every filter. `score` gives one node's raw score; `normalize`, when
 * present, maps the raw scores of all candidate nodes (same order) onto 0..100. Without it the raw
 * score must already be 0..100.
 */
export interface NodeScorer<S = unknown> {
  name: string;
  /** `view` is the node as the snapshot sees it (when the snapshot offers viewOf). */
  score(pod: Pod, node: Node, snapshot: ClusterSnapshot, view?: NodeView, state?: S): number;
  /**
   * What the scorer works out once per pod, not once per node (Kubernetes' PreScore): schedulePod calls
   * it once per decision and hands the result to every `score` call; `score` without it computes it.
   */
  preScore?(pod: Pod, snapshot: ClusterSnapshot): S;
  normalize?(scores: number[]): number[];
}

export interface WeightedScorer {
  scorer: NodeScorer;
  weight: number;
}
