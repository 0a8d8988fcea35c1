import type { Node, Pod } from '../../../protocol/index.js';
import type { ClusterSnapshot, NodeView } from '../snapshot.js';

/**
 * A filter's verdict for one node. `reason` uses Kubernetes' wording so the FailedScheduling message
 * reads the same; `moreReasons` lists further reasons of the same filter (resources-fit may find both
 * cpu and memory short), each counted in the message as Kubernetes does.
 */
export type FilterResult = { ok: true } | { ok: false; reason: string; moreReasons?: string[] };

/**
 * A feasibility check: can `pod` run on `node` at all? Pure; reads only its arguments. A filter whose
 * work per pod does not depend on the node does it once in `preFilter` (Kubernetes' PreFilter and
 * CycleState): schedulePod calls it once per decision and hands the result to every `filter` call;
 * `filter` called without it (tests) computes it itself. A preFilter that finds nothing to check for
 * this pod (no host ports, no node selector) returns SKIP, and the filter is not run at all (Kubernetes'
 * PreFilter Skip).
 */
export interface NodeFilter<S = unknown> {
  name: string;
  preFilter?(pod: Pod, snapshot: ClusterSnapshot): S;
  /** `view` is the node as the snapshot sees it (when the snapshot offers viewOf). */
  filter(pod: Pod, node: Node, snapshot: ClusterSnapshot, state?: S, view?: NodeView): FilterResult;
}

export const FITS: FilterResult = { ok: true };

/** What a preFilter returns when the filter has nothing to check for the pod: every node passes it. */
export const SKIP = Symbol('skip this filter for this pod');

export function unfit(reason: string, ...moreReasons: string[]): FilterResult {
  return moreReasons.length > 0 ? { ok: false, reason, moreReasons } : { ok: false, reason };
}
