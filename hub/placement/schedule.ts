import type { Node, Pod } from '../../protocol/index.js';
import { SKIP, type NodeFilter } from './filters/filter.js';
import { nodeReady } from './filters/node-ready.js';
import { nodeSchedulable } from './filters/node-schedulable.js';
import { nodeSelector } from './filters/node-selector.js';
import { hostPorts } from './filters/host-ports.js';
import { imagePlatform } from './filters/image-platform.js';
import { resourcesFit } from './filters/resources-fit.js';
import { volumeBinding } from './filters/volume-binding.js';
import type { WeightedScorer } from './scorers/scorer.js';
import { leastAllocated } from './scorers/least-allocated.js';
import { spread } from './scorers/spread.js';
import { imageLocality } from './scorers/image-locality.js';
import type { ClusterSnapshot, NodeView } from './snapshot.js';

/** Which filters run (in order: a node's first failing filter gives its reasons) and how nodes are ranked. */
export interface SchedulerProfile {
  filters: readonly NodeFilter[];
  scorers: readonly WeightedScorer[];
  /**
   * kube-scheduler's percentageOfNodesToScore: in a large cluster, stop filtering once this share of
   * the nodes was found feasible, and score only those. 0 or absent: adaptive, as Kubernetes does
   * (50% minus 1% per 125 nodes, at least 5%); never fewer than 100 nodes; 100 = every node.
   */
  percentageOfNodesToScore?: number;
}

/** Below this many nodes every node is filtered and scored (Kubernetes' minFeasibleNodesToFind). */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;

/** How many feasible nodes to look for among `total` (Kubernetes' numFeasibleNodesToFind). */
export function feasibleNodesToFind(total: number, percentage = 0): number {
  if (total < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) return total;
  const pct = percentage > 0 ? percentage : Math.max(5, 50 - Math.floor(total / 125));
  return Math.max(MIN_FEASIBLE_NODES_TO_FIND, Math.floor((total * pct) / 100));
}

/**
 * Where the next search starts (Kubernetes' nextStartNodeIndex): each decision starts after the last
 * node the previous one looked at, so sampling visits every node in turn. One per scheduler.
 */
export interface NodeSampler {
  nextStartIndex: number;
}

export function createNodeSampler(): NodeSampler {
  return { nextStartIndex: 0 };
}

/** Kubernetes' filter order: readiness, unschedulable/taints, affinity/selector, ports, resources, volumes. */
export const DEFAULT_PROFILE: SchedulerProfile = {
  filters: [nodeReady, nodeSchedulable, nodeSelector, imagePlatform, hostPorts, resourcesFit, volumeBinding],
  scorers: [
    { scorer: leastAllocated, weight: 1 },
    { scorer: spread, weight: 2 },
    { scorer: imageLocality, weight: 1 },
  ],
};

export const NO_NODES_MESSAGE = 'no nodes available to schedule pods';

export type ScheduleResult =
  | { node: string; score: number }
  | { node: undefined; message: string; reasons: Record<string, number> };

/**
 * Kubernetes' FitError text: "0/N nodes are available: " then "COUNT REASON" for each reason,
 * sorted as strings (as Kubernetes sorts them), joined with ", ", ended with ".".
 */
export function unschedulableMessage(nodeCount: number, reasons: Record<string, number>): string {
  if (nodeCount === 0) return NO_NODES_MESSAGE;
  const parts = Object.entries(reasons)
    .map(([reason, count]) => `${count} ${reason}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `0/${nodeCount} nodes are available: ${parts.join(', ')}.`;
}

/**
 * Decide where `pod` goes: filter the snapshot's nodes (all of them in a small cluster; in a large
 * one, from the sampler's position until enough feasible nodes are found), score the feasible ones
 * (weighted sum of 0..100 scores), take the highest; equal scores go to the node whose name sorts
 * first. Pure but for the sampler's position.
 */
export function schedulePod(
  pod: Pod,
  snapshot: ClusterSnapshot,
  profile: SchedulerProfile = DEFAULT_PROFILE,
  sampler: NodeSampler = createNodeSampler(),
): ScheduleResult {
  const nodes = snapshot.nodes;
  const total = nodes.length;
  const wanted = feasibleNodesToFind(total, profile.percentageOfNodesToScore);
  const start = total > 0 ? sampler.nextStartIndex % total : 0;
  // what each filter works out once per pod (Kubernetes' PreFilter); those with nothing to check drop out
  const filters: NodeFilter[] = [];
  const states: unknown[] = [];
  for (const f of profile.filters) {
    const state = f.preFilter?.(pod, snapshot);
    if (state === SKIP) continue;
    filters.push(f);
    states.push(state);
  }
  const nFilters = filters.length;
  const viewOf = snapshot.viewOf?.bind(snapshot);
  // the feasible nodes and their views, side by side (no object per node per decision)
  const feasible: Node[] = [];
  const views: Array<NodeView | undefined> = [];
  let reasons: Record<string, number> | undefined;
  let processed = 0;
  for (; processed < total && feasible.length < wanted; processed++) {
    let at = start + processed;
    if (at >= total) at -= total;
    const node = nodes[at]!;
    const view = viewOf?.(node);
    let fits = true;
    for (let i = 0; i < nFilters; i++) {
      const verdict = filters[i]!.filter(pod, node, snapshot, states[i], view);
      if (verdict.ok) continue;
      reasons ??= {};
      reasons[verdict.reason] = (reasons[verdict.reason] ?? 0) + 1;
      for (const reason of verdict.moreReasons ?? []) reasons[reason] = (reasons[reason] ?? 0) + 1;
      fits = false;
      break;
    }
    if (fits) {
      feasible.push(node);
      views.push(view);
    }
  }
  if (total > 0) sampler.nextStartIndex = (start + processed) % total;
  const n = feasible.length;
  if (n === 0) {
    const counted = reasons ?? {};
    return { node: undefined, message: unschedulableMessage(total, counted), reasons: counted };
  }
  if (n === 1) return { node: feasible[0]!.metadata.name, score: 0 };

  const totals = new Float64Array(n);
  const raw: number[] = new Array<number>(n);
  for (const { scorer, weight } of profile.scorers) {
    const state = scorer.preScore?.(pod, snapshot);
    for (let i = 0; i < n; i++) raw[i] = scorer.score(pod, feasible[i]!, snapshot, views[i], state);
    const scores = scorer.normalize ? scorer.normalize(raw) : raw;
    for (let i = 0; i < n; i++) totals[i]! += scores[i]! * weight;
  }
  // the highest total; equal totals go to the node whose name sorts first (no sort of the feasible nodes)
  let best = 0;
  let bestName = feasible[0]!.metadata.name;
  for (let i = 1; i < n; i++) {
    const t = totals[i]!;
    if (t < totals[best]!) continue;
    const name = feasible[i]!.metadata.name;
    if (t > totals[best]! || name < bestName) {
      best = i;
      bestName = name;
    }
  }
  return { node: bestName, score: totals[best]! };
}
