import type { Taint } from '../../../protocol/index.js';
import { TAINT_NODE_UNSCHEDULABLE } from '../../../protocol/well-known.js';
import { podToleratesTaint } from './tolerations.js';
import { FITS, unfit, type NodeFilter } from './filter.js';

export const NODE_UNSCHEDULABLE_REASON = 'node(s) were unschedulable';

/** Kubernetes' wording for a NoSchedule/NoExecute taint the pod does not tolerate. */
export function untoleratedTaintReason(taint: Pick<Taint, 'key' | 'value'>): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/**
 * Kubernetes' NodeUnschedulable then TaintToleration: a cordoned node (spec.unschedulable) takes only
 * pods tolerating node.kubernetes.io/unschedulable:NoSchedule; every NoSchedule or NoExecute taint
 * must be tolerated (PreferNoSchedule only matters for scoring).
 */
export const nodeSchedulable: NodeFilter = {
  name: 'NodeSchedulable',
  filter(pod, node) {
    const spec = node.spec;
    if (spec === undefined || (spec.unschedulable !== true && (spec.taints === undefined || spec.taints.length === 0))) return FITS;
    if (
      node.spec?.unschedulable === true &&
      !podToleratesTaint(pod, { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' })
    ) {
      return unfit(NODE_UNSCHEDULABLE_REASON);
    }
    for (const taint of node.spec?.taints ?? []) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (!podToleratesTaint(pod, taint)) return unfit(untoleratedTaintReason(taint));
    }
    return FITS;
  },
};
