/**
 * What the filters and scorers read of a pod or a node, computed once per object and remembered
 * (Kubernetes' PreFilter state and NodeInfo do the same): quantities are parsed and image names
 * normalized once, not once per node per pod. Objects are keyed by identity in WeakMaps, so the
 * entries go with the objects; an object must not change after it was read (the hub's cache freezes
 * them; tests build fresh ones).
 */
import type { Node, Pod } from '../../protocol/index.js';
import { podHostPorts, podRequests } from '../../protocol/index.js';
import { controllerOf } from '../../protocol/workload-helpers.js';
import { normalizeImageName as normalize } from './image-names.js';
import { nodeAllocatable as computeAllocatable, nonZeroRequests, type NodeAllocatable } from './node-resources.js';
import { nodePlatform } from './image-platforms.js';

export interface PodFacts {
  requests: { cpuMillis: number; memoryBytes: number };
  /** requests with Kubernetes' non-zero defaults, for scoring. */
  nonZero: { cpuMillis: number; memoryBytes: number };
  /** "PROTO/port" the pod claims on its node. */
  hostPorts: string[];
  /** The distinct container images, normalized. */
  images: string[];
  /** uid of the controller owner, if any. */
  ownerUid: string | undefined;
}

const podFactsCache = new WeakMap<Pod, PodFacts>();

export interface NodeFacts {
  ready: boolean;
  platform: { os: string; arch: string } | undefined;
  /** "os/arch" of platform, the key filters remember per-platform verdicts by. */
  platformKey: string | undefined;
  allocatable: NodeAllocatable;
}
const nodeFactsCache = new WeakMap<Node, NodeFacts>();

/** Whether the node is Ready=True, and its os/arch, read once per node object. */
export function nodeFacts(node: Node): NodeFacts {
  let facts = nodeFactsCache.get(node);
  if (!facts) {
    const platform = nodePlatform(node);
    facts = {
      ready: node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
      platform,
      platformKey: platform ? `${platform.os}/${platform.arch}` : undefined,
      allocatable: computeAllocatable(node),
    };
    nodeFactsCache.set(node, facts);
  }
  return facts;
}

export function podFacts(pod: Pod): PodFacts {
  let facts = podFactsCache.get(pod);
  if (!facts) {
    const requests = podRequests(pod);
    facts = {
      requests,
      nonZero: nonZeroRequests(requests),
      hostPorts: podHostPorts(pod),
      images: [...new Set(pod.spec.containers.map((c) => normalizeImageName(c.image)))],
      ownerUid: controllerOf(pod)?.uid,
    };
    podFactsCache.set(pod, facts);
  }
  return facts;
}

/** status.allocatable (else capacity) of the node, parsed once. */
export function allocatableOf(node: Node): NodeAllocatable {
  return nodeFacts(node).allocatable;
}

const NAME_CACHE_LIMIT = 50_000;
const names = new Map<string, string>();

/** normalizeImageName, remembered (image names repeat across a fleet's pods and nodes). */
export function normalizeImageName(ref: string): string {
  let n = names.get(ref);
  if (n === undefined) {
    n = normalize(ref);
    if (names.size >= NAME_CACHE_LIMIT) names.clear();
    names.set(ref, n);
  }
  return n;
}
