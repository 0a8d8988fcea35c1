import type { Node, Pod } from '../../../protocol/index.js';
import type { ClusterSnapshot, NodeView } from '../snapshot.js';

export const MAX_NODE_SCORE = 100;

/**
 * Ranks the nodes that passed every filter. `score` gives one node's raw score; `normalize`, when
 * present, maps the raw scores of all candidate nodes (same order) onto 0..100. Without it the raw
 * score must already be 0..100.
 */
export interface NodeScorer {
  name: string;
  /** `view` is the node as the snapshot sees it (when the snapshot offers viewOf). */
  score(pod: Pod, node: Node, snapshot: ClusterSnapshot, view?: NodeView): number;
  normalize?(scores: number[]): number[];
}

export interface WeightedScorer {
  scorer: NodeScorer;
  weight: number;
}
