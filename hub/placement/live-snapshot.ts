/**
 * A ClusterSnapshot kept current from the hub's informer cache instead of rebuilt per decision
 * (Kubernetes' scheduler cache): nodes in an array updated in place, and per node the pods bound to
 * it with their summed requests, host ports and controller counts, recomputed only for the nodes a
 * change touched. Decisions not yet written are `assume`d (counted at once, so the next decision sees
 * them) until the cache shows the bind, or `forget` them when the bind failed.
 */
import type { Node, Pod } from '../../protocol/index.js';
import { isTerminal } from '../../protocol/pod-helpers.js';
import type { CacheEvent, ObjectCache } from '../cache/object-cache.js';
import { nodeFacts, normalizeImageName, podFacts } from './facts.js';
import { imagePlatformIndex } from './image-platforms.js';
import { addToRequested, emptyRequested, type NodeRequested } from './node-resources.js';
import type { ClusterSnapshot, NodeView } from './snapshot.js';
import type { PersistentVolume, PersistentVolumeClaim, StorageClass } from '../../protocol/objects/storage.js';
import type { StorageView } from './volumes.js';

/** The claims, volumes and classes of the informer cache (none when the cache does not hold them). */
export function storageViewOfCache(cache: ObjectCache): StorageView {
  const held = (kind: string) => cache.holds(kind);
  return {
    claim: (namespace, name) => (held('PersistentVolumeClaim') ? cache.kind<PersistentVolumeClaim>('PersistentVolumeClaim').get(namespace, name) : undefined),
    volume: (name) => (held('PersistentVolume') ? cache.kind<PersistentVolume>('PersistentVolume').get('', name) : undefined),
    volumes: () => (held('PersistentVolume') ? cache.kind<PersistentVolume>('PersistentVolume').list() : []),
    storageClass: (name) => (held('StorageClass') ? cache.kind<StorageClass>('StorageClass').get('', name) : undefined),
    storageClasses: () => (held('StorageClass') ? cache.kind<StorageClass>('StorageClass').list() : []),
  };
}

interface NodeEntry {
  /** pod uid (or namespace/name) -> pod bound here, from the cache. */
  pods: Map<string, Pod>;
  /** Derived from pods + assumed; undefined = recompute on next read. */
  derived?: { list: Pod[]; requested: NodeRequested & { hostPorts: Set<string> }; owners: Map<string, number>; view?: NodeView };
}

export interface LiveSnapshot extends ClusterSnapshot {
  /** Count `pod` on `nodeName` now (a decision whose bind is being written). */
  assume(pod: Pod, nodeName: string): void;
  /** The bind of `pod` failed: stop counting it. */
  forget(pod: Pod): void;
  /** Stop following the cache. */
  close(): void;
}

const podId = (pod: Pod): string => pod.metadata.uid ?? `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`;

export function createLiveSnapshot(cache: ObjectCache): LiveSnapshot {
  const nodes: Node[] = [];
  const position = new Map<string, number>();
  const entries = new Map<string, NodeEntry>();
  /** pod id -> node it was assumed onto. */
  const assumed = new Map<string, { pod: Pod; node: string }>();
  /** node -> the pods assumed onto it, by id. */
  const assumedOn = new Map<string, Map<string, Pod>>();
  const dropAssumed = (id: string): void => {
    const a = assumed.get(id);
    if (!a) return;
    assumed.delete(id);
    const on = assumedOn.get(a.node);
    on?.delete(id);
    if (on && on.size === 0) assumedOn.delete(a.node);
    touch(a.node);
  };
  const imageSets = new WeakMap<Node, ReadonlySet<string>>();
  let platformIndex: Map<string, ReadonlySet<string>> | undefined;

  const entryOf = (name: string): NodeEntry => {
    let e = entries.get(name);
    if (!e) entries.set(name, (e = { pods: new Map() }));
    return e;
  };
  const touch = (name: string): void => {
    const e = entries.get(name);
    if (e) delete e.derived;
  };

  // filters and scorers ask about one node several times in a row: remember the last one
  let lastName: string | undefined;
  let lastEntry: NodeEntry | undefined;
  function derived(name: string): NonNullable<NodeEntry['derived']> {
    let e: NodeEntry;
    if (name === lastName && lastEntry) e = lastEntry;
    else {
      e = entryOf(name);
      lastName = name;
      lastEntry = e;
    }
    if (!e.derived) {
      const list = [...e.pods.values()];
      for (const [id, pod] of assumedOn.get(name) ?? []) if (!e.pods.has(id)) list.push(pod);
      const requested = emptyRequested();
      const owners = new Map<string, number>();
      for (const pod of list) {
        addToRequested(requested, pod);
        const owner = podFacts(pod).ownerUid;
        if (owner !== undefined && !isTerminal(pod)) owners.set(owner, (owners.get(owner) ?? 0) + 1);
      }
      e.derived = { list, requested, owners };
    }
    return e.derived;
  }

  function imageSetOf(node: Node): ReadonlySet<string> {
    let set = imageSets.get(node);
    if (!set) {
      set = new Set((node.status?.images ?? []).flatMap((i) => i.names).map(normalizeImageName));
      imageSets.set(node, set);
    }
    return set;
  }

  function setNode(node: Node): void {
    const name = node.metadata.name;
    const at = position.get(name);
    if (at === undefined) {
      position.set(name, nodes.length);
      nodes.push(node);
    } else {
      const before = nodes[at]!;
      nodes[at] = node;
      if (before.status?.images !== node.status?.images) platformIndex = undefined;
      return;
    }
    platformIndex = undefined;
  }

  function removeNode(name: string): void {
    const at = position.get(name);
    if (at === undefined) return;
    const last = nodes.pop()!;
    position.delete(name);
    if (last.metadata.name !== name) {
      nodes[at] = last;
      position.set(last.metadata.name, at);
    }
    platformIndex = undefined;
  }

  function onPod(event: CacheEvent<Pod>): void {
    const before = event.old?.spec.nodeName;
    const after = event.type === 'DELETED' ? undefined : event.object.spec.nodeName;
    const id = podId(event.object);
    if (before && before !== after) {
      entries.get(before)?.pods.delete(id);
      touch(before);
    }
    if (after) {
      entryOf(after).pods.set(id, event.object);
      touch(after);
      dropAssumed(id);
    } else if (event.type === 'DELETED') {
      dropAssumed(id);
    }
  }

  const podCache = cache.kind<Pod>('Pod');
  const nodeCache = cache.kind<Node>('Node');
  for (const node of [...nodeCache.list()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) setNode(node);
  for (const pod of podCache.list()) if (pod.spec.nodeName) entryOf(pod.spec.nodeName).pods.set(podId(pod), pod);
  const unsubscribe = [
    podCache.subscribe(onPod),
    nodeCache.subscribe((event) => (event.type === 'DELETED' ? removeNode(event.object.metadata.name) : setNode(event.object))),
  ];

  return {
    nodes,
    storage: storageViewOfCache(cache),
    podsOnNode: (name) => derived(name).list,
    requestedOnNode: (name) => derived(name).requested,
    ownedOnNode: (name, uid) => derived(name).owners.get(uid) ?? 0,
    viewOf(node) {
      const d = derived(node.metadata.name);
      // recomputed (a new derived object) whenever the node's pods change; the node object changes with the node
      if (d.view?.node !== node) d.view = { node, facts: nodeFacts(node), requested: d.requested, owners: d.owners, imageSet: imageSetOf(node) };
      return d.view;
    },
    imageSetOnNode(name) {
      const at = position.get(name);
      const node = at === undefined ? undefined : nodes[at];
      return node ? imageSetOf(node) : new Set();
    },
    imagePlatforms: (image) => (platformIndex ??= imagePlatformIndex(nodes)).get(normalizeImageName(image)),
    assume(pod, nodeName) {
      const id = podId(pod);
      dropAssumed(id);
      const bound = { ...pod, spec: { ...pod.spec, nodeName } };
      assumed.set(id, { pod: bound, node: nodeName });
      let on = assumedOn.get(nodeName);
      if (!on) assumedOn.set(nodeName, (on = new Map()));
      on.set(id, bound);
      touch(nodeName);
    },
    forget(pod) {
      dropAssumed(podId(pod));
    },
    close() {
      for (const u of unsubscribe) u();
    },
  };
}
