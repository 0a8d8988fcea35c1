import { cpuToMillis, memoryToBytes, podHostPorts, podRequests } from '../../protocol/index.js';
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
}

/** Pods that have finished hold no resources any more. */
export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
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

/** Sum what the given pods (those bound to one node) request. */
export function sumRequested(pods: readonly Pod[]): NodeRequested {
  let cpuMillis = 0;
  let memoryBytes = 0;
  let count = 0;
  const hostPorts = new Set<string>();
  for (const pod of pods) {
    if (isTerminal(pod)) continue;
    const r = podRequests(pod);
    cpuMillis += r.cpuMillis;
    memoryBytes += r.memoryBytes;
    count++;
    for (const p of podHostPorts(pod)) hostPorts.add(p);
  }
  return { cpuMillis, memoryBytes, pods: count, hostPorts };
}
