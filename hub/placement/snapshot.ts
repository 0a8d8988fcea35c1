import type { Node, Pod } from '../../protocol/index.js';
import { nodeFacts, normalizeImageName, podFacts, type NodeFacts } from './facts.js';
import { isTerminal } from '../../protocol/pod-helpers.js';
import { imagePlatformIndex } from './image-platforms.js';
import type { StorageView } from './volumes.js';
import { addToRequested, emptyRequested, sumRequested, type NodeRequested } from './node-resources.js';

/**
 * The scheduler's only view of the cluster: the nodes, and what is bound to each. Filters and
 * scorers read nothing else, so they are tested with plain objects and no server. The optional
 * methods are fast paths a snapshot may precompute; without them, helpers below derive the same.
 */
export interface ClusterSnapshot {
  nodes: Node[];
  podsOnNode(name: string): Pod[];
  /** Image names present on the node; when absent, scorers read node.status.images. */
  imagesOnNode?(name: string): string[];
  /** imagesOnNode, normalized (normalizeImageName) into a set. */
  imageSetOnNode?(name: string): ReadonlySet<string>;
  /** Platforms the fleet's nodes report for an image (any spelling of its name); when absent, derived from nodes. */
  imagePlatforms?(image: string): ReadonlySet<string> | undefined;
  /** Precomputed sum of the requests on the node; when absent, filters sum podsOnNode() themselves. */
  requestedOnNode?(name: string): NodeRequested;
  /** How many running (not finished) pods on the node have this controller uid; when absent, scorers count podsOnNode(). */
  ownedOnNode?(name: string, controllerUid: string): number;
  /**
   * Everything filters and scorers read about one node, looked up once per node and decision
   * (Kubernetes' NodeInfo); when absent, they ask the methods above.
   */
  viewOf?(node: Node): NodeView;
  /** Claims, volumes and storage classes, for pods with persistentVolumeClaim volumes (volume-binding.ts). */
  storage?: StorageView;
}

export interface NodeView {
  /** The node object this view was made for (a changed node gets a new view). */
  node: Node;
  /** Readiness, platform and parsed allocatable of the node (facts.ts). */
  facts: NodeFacts;
  requested: NodeRequested;
  /** controller uid -> running pods of it on the node */
  owners: ReadonlyMap<string, number>;
  /** the node's images, normalized */
  imageSet: ReadonlySet<string>;
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

export function imageSetOnNode(snapshot: ClusterSnapshot, node: Node): ReadonlySet<string> {
  return snapshot.imageSetOnNode?.(node.metadata.name) ?? new Set(imagesOnNode(snapshot, node).map(normalizeImageName));
}

export function imagePlatforms(snapshot: ClusterSnapshot, image: string): ReadonlySet<string> | undefined {
  if (snapshot.imagePlatforms) return snapshot.imagePlatforms(image);
  return imagePlatformIndex(snapshot.nodes).get(normalizeImageName(image));
}

interface NodeEntry {
  pods: Pod[];
  requested: ReturnType<typeof emptyRequested>;
  /** controller uid -> running pods of it on the node */
  owners: Map<string, number>;
  view?: NodeView;
}


/** Pure and in-memory: index `pods` by spec.nodeName (unbound pods are left out). */
export function snapshotFromObjects(nodes: readonly Node[], pods: readonly Pod[], storage?: StorageView): InMemorySnapshot {
  const byNode = new Map<string, NodeEntry>();
  const images = new Map<string, ReadonlySet<string>>();
  const empty = emptyRequested();
  // Filters and scorers ask about one node several times in a row: remember the last entry looked up.
  let lastName: string | undefined;
  let lastEntry: NodeEntry | undefined;
  const entry = (name: string): NodeEntry | undefined => {
    if (name !== lastName) {
      lastName = name;
      lastEntry = byNode.get(name);
    }
    return lastEntry;
  };
  const add = (pod: Pod, name: string): void => {
    let e = byNode.get(name);
    if (!e) {
      e = { pods: [], requested: emptyRequested(), owners: new Map() };
      byNode.set(name, e);
      if (name === lastName) lastEntry = e;
    }
    e.pods.push(pod);
    addToRequested(e.requested, pod);
    const owner = podFacts(pod).ownerUid;
    if (owner !== undefined && !isTerminal(pod)) e.owners.set(owner, (e.owners.get(owner) ?? 0) + 1);
  };
  for (const pod of pods) {
    if (pod.spec.nodeName) add(pod, pod.spec.nodeName);
  }
  const list = [...nodes];
  const byName = new Map(list.map((n) => [n.metadata.name, n]));
  let platformIndex: Map<string, ReadonlySet<string>> | undefined;
  const snapshot: InMemorySnapshot = {
    nodes: list,
    ...(storage ? { storage } : {}),
    podsOnNode: (name) => entry(name)?.pods ?? [],
    requestedOnNode: (name) => entry(name)?.requested ?? empty,
    ownedOnNode: (name, uid) => entry(name)?.owners.get(uid) ?? 0,
    viewOf(node) {
      const name = node.metadata.name;
      let e = entry(name);
      if (!e) {
        e = { pods: [], requested: emptyRequested(), owners: new Map() };
        byNode.set(name, e);
        lastName = name;
        lastEntry = e;
      }
      // the entry's totals are updated in place by assume(), so one view per node stays true
      if (e.view?.node !== node) e.view = { node, facts: nodeFacts(node), requested: e.requested, owners: e.owners, imageSet: snapshot.imageSetOnNode!(name) };
      return e.view;
    },
    imageSetOnNode: (name) => {
      let set = images.get(name);
      if (!set) {
        const node = byName.get(name);
        set = new Set((node?.status?.images ?? []).flatMap((i) => i.names).map(normalizeImageName));
        images.set(name, set);
      }
      return set;
    },
    imagePlatforms: (image) => (platformIndex ??= imagePlatformIndex(list)).get(normalizeImageName(image)),
    assume: (pod, nodeName) => add({ ...pod, spec: { ...pod.spec, nodeName } }, nodeName),
  };
  return snapshot;
}

/**
 * `snapshot` as if `pods` were not bound anywhere (the DaemonSet controller places its own pods
 * against the rest of the cluster). Only the nodes those pods are on are recomputed.
 */
export function withoutPods(snapshot: ClusterSnapshot, pods: readonly Pod[]): ClusterSnapshot {
  const excluded = new Set(pods.map((p) => p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`));
  const affected = new Set(pods.map((p) => p.spec.nodeName).filter((n): n is string => Boolean(n)));
  const keep = (p: Pod) => !excluded.has(p.metadata.uid ?? `${p.metadata.namespace}/${p.metadata.name}`);
  const recomputed = new Map<string, { pods: Pod[]; requested: NodeRequested }>();
  const view = (name: string) => {
    let v = recomputed.get(name);
    if (!v) {
      const rest = snapshot.podsOnNode(name).filter(keep);
      recomputed.set(name, (v = { pods: rest, requested: sumRequested(rest) }));
    }
    return v;
  };
  return {
    nodes: snapshot.nodes,
    podsOnNode: (name) => (affected.has(name) ? view(name).pods : snapshot.podsOnNode(name)),
    requestedOnNode: (name) => (affected.has(name) ? view(name).requested : requestedOnNode(snapshot, name)),
    ...(snapshot.imagesOnNode ? { imagesOnNode: snapshot.imagesOnNode.bind(snapshot) } : {}),
    ...(snapshot.imageSetOnNode ? { imageSetOnNode: snapshot.imageSetOnNode.bind(snapshot) } : {}),
    ...(snapshot.imagePlatforms ? { imagePlatforms: snapshot.imagePlatforms.bind(snapshot) } : {}),
    ...(snapshot.storage ? { storage: snapshot.storage } : {}),
  };
}
