import { isTerminal } from '../../protocol/pod-helpers.js';
import { cpuToMillis, memoryToBytes } from '../../protocol/index.js';
import { podFacts } from './facts.js';
import type { Node, Pod } from '../../protocol/index.js';

/** kubelet's default --max-pods: used when a node reports no `pods` allocatable. */
export const DEFAULT_MAX_PODS = 110;

export interface NodeAllocatable {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

/** What the pods already on a node ask for (pods in phase Succeeded/Failed do not count). */
export interface NodeRequested {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
  hostPorts: ReadonlySet<string>;
  /** cpu and memory with Kubernetes' non-zero defaults for pods that ask for nothing (for scoring). */
  nonZeroCpuMillis: number;
  nonZeroMemoryBytes: number;
}

/** Kubernetes counts a pod that requests nothing as this much when scoring, so empty pods still spread. */
export const DEFAULT_CPU_REQUEST_MILLIS = 100;
export const DEFAULT_MEMORY_REQUEST_BYTES = 200 * 1024 * 1024;

/** The pod's requests, with the non-zero defaults for cpu or memory it does not ask for. */
export function nonZeroRequests(requests: { cpuMillis: number; memoryBytes: number }): { cpuMillis: number; memoryBytes: number } {
  return {
    cpuMillis: requests.cpuMillis > 0 ? requests.cpuMillis : DEFAULT_CPU_REQUEST_MILLIS,
    memoryBytes: requests.memoryBytes > 0 ? requests.memoryBytes : DEFAULT_MEMORY_REQUEST_BYTES,
  };
}

/**
 * The node's allocatable resources (status.allocatable, else status.capacity). A node that reports no
 * cpu or memory has none to give; one that reports no pod count gets kubelet's default of 110.
 */
export function nodeAllocatable(node: Node): NodeAllocatable {
  const list = node.status?.allocatable ?? node.status?.capacity ?? {};
  return {
    cpuMillis: list.cpu !== undefined ? cpuToMillis(list.cpu) : 0,
    memoryBytes: list.memory !== undefined ? memoryToBytes(list.memory) : 0,
    pods: list.pods !== undefined ? Math.floor(Number(list.pods)) : DEFAULT_MAX_PODS,
  };
}

export function emptyRequested(): NodeRequested & { hostPorts: Set<string> } {
  return { cpuMillis: 0, memoryBytes: 0, pods: 0, hostPorts: new Set(), nonZeroCpuMillis: 0, nonZeroMemoryBytes: 0 };
}

/** Add one pod bound to the node to its totals (a finished pod adds nothing). */
export function addToRequested(total: NodeRequested & { hostPorts: Set<string> }, pod: Pod): void {
  if (isTerminal(pod)) return;
  const { requests: r, nonZero: nz, hostPorts } = podFacts(pod);
  total.cpuMillis += r.cpuMillis;
  total.memoryBytes += r.memoryBytes;
  total.nonZeroCpuMillis += nz.cpuMillis;
  total.nonZeroMemoryBytes += nz.memoryBytes;
  total.pods++;
  for (const p of hostPorts) total.hostPorts.add(p);
}

/** Sum what the given pods (those bound to one node) request. */
export function sumRequested(pods: readonly Pod[]): NodeRequested {
  const total = emptyRequested();
  for (const pod of pods) addToRequested(total, pod);
  return total;
}
