/**
 * The fleet at a glance, as JSON (/status.json): what the status page shows. Built from the store on
 * each request; a namespace-scoped token sees only its namespace's pods.
 */
import { memoryToBytes, parseQuantity } from '../../protocol/quantity.js';
import type { Node } from '../../protocol/objects/node.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { ObjectCache } from '../cache/object-cache.js';
import { canSeeNamespace, type ApiPrincipal } from './auth.js';
import { podDisplayStatus, podPorts, podReady, podRestarts } from '../../protocol/pod-display.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { LABEL_ARCH } from '../../protocol/well-known.js';

export interface NodeSummary {
  name: string;
  /** The Ready condition's status: True, False or Unknown. */
  ready: string;
  unschedulable: boolean;
  arch: string;
  cpuCores: number | null;
  cpuPercent: number | null;
  memoryTotalBytes: number | null;
  memoryUsedBytes: number | null;
  diskTotalBytes: number | null;
  diskUsedBytes: number | null;
  runtime: string;
  lastHeartbeat: string | null;
  pods: number;
}

export interface PodSummary {
  namespace: string;
  name: string;
  status: string;
  ready: string;
  node: string;
  restarts: number;
  createdAt: string | null;
  ports: string[];
}

export interface FleetSummary {
  generatedAt: string;
  nodes: NodeSummary[];
  pods: PodSummary[];
}

function quantity(value: string | undefined, parse: (v: string) => number): number | null {
  if (value === undefined) return null;
  try {
    return parse(value);
  } catch {
    return null; // a malformed reported quantity is shown as unknown
  }
}

function summarizeNode(node: Node, podCount: number): NodeSummary {
  const status = node.status ?? {};
  const ready = status.conditions?.find((c) => c.type === 'Ready');
  return {
    name: node.metadata.name,
    ready: ready?.status ?? 'Unknown',
    unschedulable: node.spec?.unschedulable === true,
    arch: status.nodeInfo?.architecture ?? node.metadata.labels?.[LABEL_ARCH] ?? '',
    cpuCores: quantity(status.capacity?.cpu, parseQuantity),
    cpuPercent: status.usage?.cpuPercent ?? null,
    memoryTotalBytes: quantity(status.capacity?.memory, memoryToBytes),
    memoryUsedBytes: status.usage?.memoryUsedBytes ?? null,
    diskTotalBytes: quantity(status.capacity?.['ephemeral-storage'], memoryToBytes),
    diskUsedBytes: status.usage?.diskUsedBytes ?? null,
    runtime: status.nodeInfo?.containerRuntimeVersion ?? '',
    lastHeartbeat: ready?.lastHeartbeatTime ?? status.usage?.timestamp ?? null,
    pods: podCount,
  };
}

function summarizePod(pod: Pod): PodSummary {
  return {
    namespace: pod.metadata.namespace ?? '',
    name: pod.metadata.name,
    status: podDisplayStatus(pod),
    ready: podReady(pod),
    node: pod.spec.nodeName ?? '',
    restarts: podRestarts(pod),
    createdAt: pod.metadata.creationTimestamp ?? null,
    ports: podPorts(pod),
  };
}

export async function buildFleetSummary(cache: ObjectCache, clock: () => number, principal?: ApiPrincipal): Promise<FleetSummary> {
  const nodes = { items: cache.kind<Node>('Node').list() };
  const pods = { items: cache.kind<Pod>('Pod').list() };
  const podsPerNode = new Map<string, number>();
  for (const p of pods.items) {
    const n = p.spec?.nodeName;
    if (n) podsPerNode.set(n, (podsPerNode.get(n) ?? 0) + 1);
  }
  const visiblePods = pods.items.filter((p) => canSeeNamespace(principal, p.metadata.namespace ?? ''));
  return {
    generatedAt: preciseTimestamp(clock()),
    nodes: principal?.namespace === undefined ? nodes.items.map((n) => summarizeNode(n, podsPerNode.get(n.metadata.name) ?? 0)) : [],
    pods: visiblePods.map(summarizePod),
  };
}
