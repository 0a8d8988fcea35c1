import { podRequests } from '../../../protocol/index.js';
import { isTerminal, nodeAllocatable } from '../node-resources.js';
import type { ClusterSnapshot } from '../snapshot.js';
import { MAX_NODE_SCORE, type NodeScorer } from './scorer.js';

/** Kubernetes counts a pod that requests nothing as this much, so empty pods still spread (non-zero requests). */
export const DEFAULT_CPU_REQUEST_MILLIS = 100;
export const DEFAULT_MEMORY_REQUEST_BYTES = 200 * 1024 * 1024;

function nonZeroRequests(pod: Parameters<typeof podRequests>[0]): { cpuMillis: number; memoryBytes: number } {
  const r = podRequests(pod);
  return {
    cpuMillis: r.cpuMillis > 0 ? r.cpuMillis : DEFAULT_CPU_REQUEST_MILLIS,
    memoryBytes: r.memoryBytes > 0 ? r.memoryBytes : DEFAULT_MEMORY_REQUEST_BYTES,
  };
}

function nonZeroRequestedOnNode(snapshot: ClusterSnapshot, name: string): { cpuMillis: number; memoryBytes: number } {
  let cpuMillis = 0;
  let memoryBytes = 0;
  for (const p of snapshot.podsOnNode(name)) {
    if (isTerminal(p)) continue;
    const r = nonZeroRequests(p);
    cpuMillis += r.cpuMillis;
    memoryBytes += r.memoryBytes;
  }
  return { cpuMillis, memoryBytes };
}

/** (allocatable - requested) * 100 / allocatable, 0 when nothing is allocatable or it is overcommitted. */
export function leastAllocatedFraction(requested: number, allocatable: number): number {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return ((allocatable - requested) * MAX_NODE_SCORE) / allocatable;
}

/**
 * Kubernetes' NodeResourcesFit LeastAllocated strategy: the node left with the larger share of free cpu
 * and memory (weights 1:1) after placing the pod scores higher. Requests use Kubernetes' non-zero
 * defaults (100m cpu, 200Mi memory) for containers that ask for nothing.
 */
export const leastAllocated: NodeScorer = {
  name: 'LeastAllocated',
  score(pod, node, snapshot) {
    const allocatable = nodeAllocatable(node);
    const used = nonZeroRequestedOnNode(snapshot, node.metadata.name);
    const want = nonZeroRequests(pod);
    const cpu = leastAllocatedFraction(used.cpuMillis + want.cpuMillis, allocatable.cpuMillis);
    const memory = leastAllocatedFraction(used.memoryBytes + want.memoryBytes, allocatable.memoryBytes);
    return Math.floor((cpu + memory) / 2);
  },
};
