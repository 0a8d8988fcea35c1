import { TAINT_NODE_NOT_READY } from '../../../protocol/well-known.js';
import { podToleratesTaint } from './tolerations.js';
import { nodeFacts } from '../facts.js';
import { FITS, unfit, type NodeFilter } from './filter.js';

export const NODE_NOT_READY_REASON = 'node(s) were not ready';

/**
 * The node's Ready condition must be True. A pod that tolerates the not-ready taint
 * (node.kubernetes.io/not-ready:NoSchedule, as DaemonSet pods do) may still go there.
 */
export const nodeReady: NodeFilter = {
  name: 'NodeReady',
  filter(pod, node, _snapshot, _state, view) {
    if ((view?.facts ?? nodeFacts(node)).ready) return FITS;
    if (podToleratesTaint(pod, { key: TAINT_NODE_NOT_READY, effect: 'NoSchedule' })) return FITS;
    return unfit(NODE_NOT_READY_REASON);
  },
};
