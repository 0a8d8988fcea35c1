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
  /**
   * Derived from pods + assumed; undefined = recompute on next read. The totals are kept up to date in
   * place when a pod is assumed, bound where it was assumed or changes without changing what it takes of
   * the node (a status update): only the list is built again then.
   */
  derived?: { list?: Pod[]; requested: NodeRequested & { hostPorts: Set<string> }; owners: Map<string, number>; view?: NodeView };
}

/** Whether `a` and `b` (one pod before and after a change) take the same of their node: requests, host ports, controller, finished or not. */
function sameFootprint(a: Pod, b: Pod): boolean {
  if (a === b) return true;
  if (isTerminal(a) !== isTerminal(b)) return false;
  const fa = podFacts(a);
  const fb = podFacts(b);
  return (
    fa.requests.cpuMillis === fb.requests.cpuMillis &&
    fa.requests.memoryBytes === fb.requests.memoryBytes &&
    fa.ownerUid === fb.ownerUid &&
    fa.hostPorts.length === fb.hostPorts.length &&
    fa.hostPorts.every((p, i) => fb.hostPorts[i] === p)
  );
}

function addToTotals(d: NonNullable<NodeEntry['derived']>, pod: Pod): void {
  addToRequested(d.requested, pod);
  const owner = podFacts(pod).ownerUid;
  if (owner !== undefined && !isTerminal(pod)) d.owners.set(owner, (d.owners.get(owner) ?? 0) + 1);
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
  /** entries of `nodes`, by the same position (the scheduler walks the nodes by position). */
  const entryAt: NodeEntry[] = [];
  /** pod id -> node it was assumed onto. */
  const assumed = new Map<string, { pod: Pod; node: string }>();
  /** node -> the pods assumed onto it, by id. */
  const assumedOn = new Map<string, Map<string, Pod>>();
  /** Stop counting an assumed pod; `counted` = it is counted on that node anyway now (bound there), so its totals stand. */
  const dropAssumed = (id: string, counted = false): void => {
    const a = assumed.get(id);
    if (!a) return;
    assumed.delete(id);
    const on = assumedOn.get(a.node);
    on?.delete(id);
    if (on && on.size === 0) assumedOn.delete(a.node);
    if (!counted) touch(a.node);
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
  /** The node's pods changed but not its totals: only the list is built again. */
  const relist = (name: string): void => {
    const d = entries.get(name)?.derived;
    if (d) delete d.list;
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
    return derivedOf(e, name);
  }

  function derivedOf(e: NodeEntry, name: string): NonNullable<NodeEntry['derived']> {
    if (!e.derived) {
      const d: NonNullable<NodeEntry['derived']> = { requested: emptyRequested(), owners: new Map() };
      for (const pod of podsOf(e, name)) addToTotals(d, pod);
      e.derived = d;
    }
    return e.derived;
  }

  /** The node's pods from the cache, and those assumed onto it that the cache does not show there yet. */
  function podsOf(e: NodeEntry, name: string): Pod[] {
    const list = [...e.pods.values()];
    for (const [id, pod] of assumedOn.get(name) ?? []) if (!e.pods.has(id)) list.push(pod);
    return list;
  }

  function viewFor(d: NonNullable<NodeEntry['derived']>, node: Node): NodeView {
    // made again when the node's totals are recomputed (a new derived object) or the node object changes
    if (d.view?.node !== node) d.view = { node, facts: nodeFacts(node), requested: d.requested, owners: d.owners, imageSet: imageSetOf(node) };
    return d.view;
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
      entryAt.push(entryOf(name));
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
    const lastEntryAt = entryAt.pop()!;
    position.delete(name);
    if (last.metadata.name !== name) {
      nodes[at] = last;
      entryAt[at] = lastEntryAt;
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
      const e = entryOf(after);
      const a = assumed.get(id);
      // what was counted for this pod on the node until now: its cached object, or its assumed copy
      const counted = e.pods.get(id) ?? (a?.node === after ? a.pod : undefined);
      e.pods.set(id, event.object);
      const same = counted !== undefined && sameFootprint(counted, event.object);
      if (same) relist(after);
      else touch(after);
      dropAssumed(id, same && a?.node === after);
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
    podsOnNode(name) {
      const d = derived(name);
      return (d.list ??= podsOf(entryOf(name), name));
    },
    requestedOnNode: (name) => derived(name).requested,
    ownedOnNode: (name, uid) => derived(name).owners.get(uid) ?? 0,
    viewOf(node) {
      return viewFor(derived(node.metadata.name), node);
    },
    viewAt(index) {
      const node = nodes[index]!;
      return viewFor(derivedOf(entryAt[index]!, node.metadata.name), node);
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
      // counted in place (the next decision reads the node at once), unless the cache has it there already
      const e = entries.get(nodeName);
      if (e?.derived && !e.pods.has(id)) {
        addToTotals(e.derived, bound);
        delete e.derived.list;
      } else touch(nodeName);
    },
    forget(pod) {
      dropAssumed(podId(pod));
    },
    close() {
      for (const u of unsubscribe) u();
    },
  };
}
