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
const allocatableCache = new WeakMap<Node, NodeAllocatable>();

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
  let a = allocatableCache.get(node);
  if (!a) {
    a = computeAllocatable(node);
    allocatableCache.set(node, a);
  }
  return a;
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
