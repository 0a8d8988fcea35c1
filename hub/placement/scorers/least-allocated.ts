import { allocatableOf, podFacts } from '../facts.js';
import { requestedOnNode } from '../snapshot.js';
import { MAX_NODE_SCORE, type NodeScorer } from './scorer.js';

export { DEFAULT_CPU_REQUEST_MILLIS, DEFAULT_MEMORY_REQUEST_BYTES } from '../node-resources.js';

/** (allocatable - requested) * 100 / allocatable, 0 when nothing is allocatable or it is overcommitted. */
export function leastAllocatedFraction(requested: number, allocatable: number): number {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return ((allocatable - requested) * MAX_NODE_SCORE) / allocatable;
}

/**
 * Kubernetes' NodeResourcesFit LeastAllocated strategy: the node left with the larger share of free cpu
 * and memory (weights 1:1) after placing the pod scores higher. Requests use Kubernetes' non-zero
 * defaults (100m cpu, 200Mi memory) for pods that ask for nothing.
 */
export const leastAllocated: NodeScorer<{ cpuMillis: number; memoryBytes: number }> = {
  name: 'LeastAllocated',
  preScore: (pod) => podFacts(pod).nonZero,
  score(pod, node, snapshot, view, state) {
    const allocatable = view?.facts.allocatable ?? allocatableOf(node);
    const used = view?.requested ?? requestedOnNode(snapshot, node.metadata.name);
    const want = state ?? podFacts(pod).nonZero;
    const cpu = leastAllocatedFraction(used.nonZeroCpuMillis + want.cpuMillis, allocatable.cpuMillis);
    const memory = leastAllocatedFraction(used.nonZeroMemoryBytes + want.memoryBytes, allocatable.memoryBytes);
    return Math.floor((cpu + memory) / 2);
  },
};
