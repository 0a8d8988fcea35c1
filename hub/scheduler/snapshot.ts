import { podHostPorts, podRequests } from '../../protocol/index.js';
import type { Node, Pod } from '../../protocol/index.js';
import { isTerminal, sumRequested, type NodeRequested } from './node-resources.js';

/**
 * The scheduler's only view of the cluster: the nodes, and what is bound to each. Filters and
 * scorers read nothing else, so they are tested with plain objects and no server.
 */
export interface ClusterSnapshot {
  nodes: Node[];
  podsOnNode(name: string): Pod[];
  /** Image names present on the node; when absent, scorers read node.status.images. */
  imagesOnNode?(name: string): string[];
  /** Precomputed sum of the requests on the node; when absent, filters sum podsOnNode() themselves. */
  requestedOnNode?(name: string): NodeRequested;
}

/** A snapshot held in memory that can take in decisions as they are made (the "in-memory planner"). */
export interface InMemorySnapshot extends ClusterSnapshot {
  /** Record that `pod` now runs on `nodeName`, as a bind would. */
  assume(pod: Pod, nodeName: string): void;
}

export function requestedOnNode(snapshot: ClusterSnapshot, name: string): NodeRequested {
  return snapshot.requestedOnNode?.(name) ?? sumRequested(snapshot.podsOnNode(name));
}

export function imagesOnNode(snapshot: ClusterSnapshot, node: Node): string[] {
  return snapshot.imagesOnNode?.(node.metadata.name) ?? (node.status?.images ?? []).flatMap((i) => i.names);
}

interface NodeEntry {
  pods: Pod[];
  cpuMillis: number;
  memoryBytes: number;
  count: number;
  hostPorts: Set<string>;
}

/** Pure and in-memory: index `pods` by spec.nodeName (unbound pods are left out). */
export function snapshotFromObjects(nodes: readonly Node[], pods: readonly Pod[]): InMemorySnapshot {
  const byNode = new Map<string, NodeEntry>();
  const entry = (name: string): NodeEntry => {
    let e = byNode.get(name);
    if (!e) {
      e = { pods: [], cpuMillis: 0, memoryBytes: 0, count: 0, hostPorts: new Set() };
      byNode.set(name, e);
    }
    return e;
  };
  const add = (pod: Pod, name: string): void => {
    const e = entry(name);
    e.pods.push(pod);
    if (isTerminal(pod)) return;
    const r = podRequests(pod);
    e.cpuMillis += r.cpuMillis;
    e.memoryBytes += r.memoryBytes;
    e.count++;
    for (const p of podHostPorts(pod)) e.hostPorts.add(p);
  };
  for (const pod of pods) {
    if (pod.spec.nodeName) add(pod, pod.spec.nodeName);
  }
  return {
    nodes: [...nodes],
    podsOnNode: (name) => byNode.get(name)?.pods ?? [],
    requestedOnNode: (name) => {
      const e = byNode.get(name);
      return e
        ? { cpuMillis: e.cpuMillis, memoryBytes: e.memoryBytes, pods: e.count, hostPorts: e.hostPorts }
        : { cpuMillis: 0, memoryBytes: 0, pods: 0, hostPorts: new Set() };
    },
    assume: (pod, nodeName) => add({ ...pod, spec: { ...pod.spec, nodeName } }, nodeName),
  };
}
