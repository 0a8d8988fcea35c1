import type { Node, Pod } from '../../../protocol/index.js';
import type { ClusterSnapshot } from '../snapshot.js';

/**
 * A filter's verdict for one node. `reason` uses Kubernetes' wording so the FailedScheduling message
 * reads the same; `moreReasons` lists further reasons of the same filter (resources-fit may find both
 * cpu and memory short), each counted in the message as Kubernetes does.
 */
export type FilterResult = { ok: true } | { ok: false; reason: string; moreReasons?: string[] };

/** A feasibility check: can `pod` run on `node` at all? Pure; reads only its arguments. */
export interface NodeFilter {
  name: string;
  filter(pod: Pod, node: Node, snapshot: ClusterSnapshot): FilterResult;
}

export const FITS: FilterResult = { ok: true };

export function unfit(reason: string, ...moreReasons: string[]): FilterResult {
  return moreReasons.length > 0 ? { ok: false, reason, moreReasons } : { ok: false, reason };
}
