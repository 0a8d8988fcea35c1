import { allocatableOf, podFacts } from '../facts.js';
import { requestedOnNode } from '../snapshot.js';
import { FITS, unfit, type NodeFilter } from './filter.js';

export const INSUFFICIENT_CPU_REASON = 'Insufficient cpu';
export const INSUFFICIENT_MEMORY_REASON = 'Insufficient memory';
export const TOO_MANY_PODS_REASON = 'Too many pods';

/**
 * Kubernetes' NodeResourcesFit: the pod count, and cpu and memory the pod requests (when non-zero),
 * must fit in status.allocatable minus what the node's running pods (not Succeeded/Failed) request.
 * Every shortfall is reported, in Kubernetes' order (pods, cpu, memory).
 */
export const resourcesFit: NodeFilter<{ cpuMillis: number; memoryBytes: number }> = {
  name: 'NodeResourcesFit',
  preFilter: (pod) => podFacts(pod).requests,
  filter(pod, node, snapshot, state, view) {
    const allocatable = view?.facts.allocatable ?? allocatableOf(node);
    const used = view?.requested ?? requestedOnNode(snapshot, node.metadata.name);
    const want = state ?? podFacts(pod).requests;
    const fits =
      used.pods + 1 <= allocatable.pods &&
      !(want.cpuMillis > 0 && want.cpuMillis > allocatable.cpuMillis - used.cpuMillis) &&
      !(want.memoryBytes > 0 && want.memoryBytes > allocatable.memoryBytes - used.memoryBytes);
    if (fits) return FITS;
    const reasons: string[] = [];
    if (used.pods + 1 > allocatable.pods) reasons.push(TOO_MANY_PODS_REASON);
    if (want.cpuMillis > 0 && want.cpuMillis > allocatable.cpuMillis - used.cpuMillis) reasons.push(INSUFFICIENT_CPU_REASON);
    if (want.memoryBytes > 0 && want.memoryBytes > allocatable.memoryBytes - used.memoryBytes) {
      reasons.push(INSUFFICIENT_MEMORY_REASON);
    }
    const [first, ...rest] = reasons;
    return first === undefined ? FITS : unfit(first, ...rest);
  },
};
