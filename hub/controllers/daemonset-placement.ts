/**
 * Where a DaemonSet's pods belong, pure (Kubernetes' NodeShouldRunDaemonPod), using the scheduler's
 * own filters so a DaemonSet and the scheduler never disagree about a node:
 * - shouldRun: the node matches nodeSelector / required node affinity, runs the image's platform (when
 *   the fleet knows it: an amd64-only daemon on a mixed fleet goes to the amd64 nodes), every NoSchedule and NoExecute
 *   taint is tolerated (cordoned nodes are, by the default toleration), and the pod fits (resources);
 * - shouldContinueRunning: affinity still matches and every NoExecute taint is tolerated (a new
 *   NoSchedule taint, or a full node, does not evict a running daemon pod).
 * Node readiness is not checked: daemon pods tolerate not-ready and unreachable nodes.
 */
import type { Node, Pod, Toleration } from '../../protocol/index.js';
import { imagePlatform } from '../placement/filters/image-platform.js';
import { nodeSchedulable } from '../placement/filters/node-schedulable.js';
import { nodeSelector } from '../placement/filters/node-selector.js';
import { resourcesFit } from '../placement/filters/resources-fit.js';
import { podToleratesTaint } from '../placement/filters/tolerations.js';
import {
  TAINT_NODE_DISK_PRESSURE,
  TAINT_NODE_MEMORY_PRESSURE,
  TAINT_NODE_NOT_READY,
  TAINT_NODE_PID_PRESSURE,
  TAINT_NODE_UNREACHABLE,
  TAINT_NODE_UNSCHEDULABLE,
} from '../../protocol/well-known.js';
import type { ClusterSnapshot } from '../placement/snapshot.js';


/** The tolerations Kubernetes adds to every daemon pod, so the node lifecycle never evicts them. */
export const DAEMON_POD_TOLERATIONS: readonly Toleration[] = [
  { key: TAINT_NODE_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_NODE_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
  { key: TAINT_NODE_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_NODE_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_NODE_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
  { key: TAINT_NODE_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
];

/** The template's tolerations plus the daemon defaults it does not already carry. */
export function withDaemonTolerations(tolerations: readonly Toleration[] | undefined): Toleration[] {
  const out = [...(tolerations ?? [])];
  for (const t of DAEMON_POD_TOLERATIONS) {
    if (!out.some((o) => o.key === t.key && o.effect === t.effect && (o.operator ?? 'Equal') === 'Exists')) out.push({ ...t });
  }
  return out;
}

export interface Placement {
  shouldRun: boolean;
  shouldContinueRunning: boolean;
  /** Why a pod cannot be placed although the node is otherwise eligible (resources), in the scheduler's words. */
  unfitReason?: string;
}

/** `pod` is the daemon pod as it would be created on `node` (with its tolerations). */
export function placeDaemonPod(pod: Pod, node: Node, snapshot: ClusterSnapshot): Placement {
  const fitsAffinity = nodeSelector.filter(pod, node, snapshot).ok;
  const noExecuteTolerated = (node.spec?.taints ?? []).every((t) => t.effect !== 'NoExecute' || podToleratesTaint(pod, t));
  const shouldContinueRunning = fitsAffinity && noExecuteTolerated;
  if (!fitsAffinity || !imagePlatform.filter(pod, node, snapshot).ok || !nodeSchedulable.filter(pod, node, snapshot).ok) {
    return { shouldRun: false, shouldContinueRunning };
  }
  const fit = resourcesFit.filter(pod, node, snapshot);
  if (!fit.ok) return { shouldRun: false, shouldContinueRunning, unfitReason: [fit.reason, ...(fit.moreReasons ?? [])].join(', ') };
  return { shouldRun: true, shouldContinueRunning };
}
