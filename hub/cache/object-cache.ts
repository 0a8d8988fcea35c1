/**
 * The hub's shared informer cache: every object of the kinds the control loops read, listed once and
 * kept current from one store watch, with in-memory indexes (by namespace, by node for Pods, by
 * controller for owned objects). The scheduler, the controllers, the fleet layer and the API read
 * here instead of listing the store, as Kubernetes' controllers read their shared informers.
 *
 * Objects are shared, not copied: every reader gets the same object, deep-frozen, so a reader that
 * tries to change one throws instead of corrupting what every other reader sees. Write through the
 * store (after structuredClone or a spread), never into a cached object.
 *
 * Consistency: the cache applies the store's changes in revision order; `revision()` is the last one
 * applied. A write acknowledged by the store is in the cache by the time the writer's await resumes
 * (the store publishes to watchers before it resolves the write), but readers that must be exact
 * read the store (`store.get`) before a compare-and-swap, as updateWithRetry does.
 */
import { matchesSelector } from '../../protocol/labels.js';
import type { Logger } from '../../protocol/logger.js';
import { controllerOf } from '../../protocol/workload-helpers.js';
import { checkFieldSelector, matchesFieldSelector } from '../store/field-selector.js';
import type { ListOptions, Store, StoredObject, Watch, WatchEventType } from '../store/store.js';

export interface CacheEvent<T extends StoredObject = StoredObject> {
  type: WatchEventType;
  /** The object after the change (for DELETED: as it was). */
  object: T;
  /** The cached object before the change (undefined for ADDED). */
  old: T | undefined;
  revision: number;
}

/** The store's list options: namespace, label and field selectors. */
export type CacheListOptions = ListOptions;

/** One kind's objects. Every method is synchronous and returns shared, frozen objects. */
export interface KindCache<T extends StoredObject = StoredObject> {
  get(namespace: string, name: string): T | undefined;
  /** Matching objects sorted by namespace, then name (the store's order). */
  list(options?: CacheListOptions): T[];
  /** Pods bound to `node` (spec.nodeName); only for the Pod kind. */
  onNode(node: string): T[];
  /** Objects whose controller reference has this uid. */
  ownedBy(uid: string): T[];
  size(): number;
  /** How many objects one namespace holds. */
  countIn(namespace: string): number;
  /** Called for every change of this kind, after the cache applied it. Returns the unsubscribe function. */
  subscribe(handler: (event: CacheEvent<T>) => void): () => void;
}

export interface ObjectCache {
  kind<T extends StoredObject = StoredObject>(kind: string): KindCache<T>;
  /** Whether this cache holds `kind`. */
  holds(kind: string): boolean;
  /** The last store revision applied. */
  revision(): number;
  /** Resolves once the cache has applied `revision` (a write's resourceVersion). */
  waitFor(revision: number): Promise<void>;
  start(): Promise<void>;
  stop(): void;
}

export interface ObjectCacheOptions {
  store: Store;
  logger: Logger;
  /** The kinds to hold (default CACHED_KINDS). */
  kinds?: readonly string[];
}

/** What the control loops read. The hub's internal credential kinds stay with hub/auth. */
export const CACHED_KINDS = ['Namespace', 'Node', 'Pod', 'Event', 'ConfigMap', 'Secret', 'Deployment', 'ReplicaSet', 'DaemonSet', 'Service', 'Endpoints', 'EndpointSlice', 'Job', 'CronJob', 'HorizontalPodAutoscaler', 'PersistentVolumeClaim', 'PersistentVolume', 'StorageClass', 'AgentUpgrade', 'StatefulSet', 'ControllerRevision'] as const;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
const namespaceOf = (o: StoredObject) => o.metadata.namespace ?? '';
const controllerUid = (o: StoredObject) => controllerOf(o)?.uid;
const nodeNameOf = (o: StoredObject) => (o.spec as { nodeName?: string } | undefined)?.nodeName;
const byNamespaceThenName = (a: StoredObject, b: StoredObject): number => {
  const na = namespaceOf(a);
  const nb = namespaceOf(b);
  if (na !== nb) return na < nb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
};

/** A secondary index: value -> keys of the objects with that value. */
class Index {
  private readonly map = new Map<string, Set<string>>();
  constructor(readonly valueOf: (o: StoredObject) => string | undefined) {}
  add(key: string, o: StoredObject): void {
    const v = this.valueOf(o);
    if (v === undefined) return;
    let set = this.map.get(v);
    if (!set) this.map.set(v, (set = new Set()));
    set.add(key);
  }
  remove(key: string, o: StoredObject): void {
    const v = this.valueOf(o);
    if (v === undefined) return;
    const set = this.map.get(v);
    if (!set) return;
    set.delete(key);
    if (set.size === 0) this.map.delete(v);
  }
  keys(value: string): Iterable<string> {
    return this.map.get(value) ?? [];
  }
  count(value: string): number {
    return this.map.get(value)?.size ?? 0;
  }
}

class KindStore<T extends StoredObject> implements KindCache<T> {
  private readonly objects = new Map<string, T>();
  private readonly byNamespace = new Index(namespaceOf);
  private readonly byNode = new Index((o) => nodeNameOf(o) || undefined);
  private readonly byOwner = new Index(controllerUid);
  private readonly handlers = new Set<(event: CacheEvent<T>) => void>();
  /** Sorted list of every object, rebuilt lazily after a change (list() of all is common). */
  private sorted: T[] | undefined;

  constructor(
    readonly kind: string,
    private readonly logger: Logger,
  ) {}

  /** Apply a change; returns the event (undefined when it was older than what is held). */
  apply(type: WatchEventType, object: T, revision: number): CacheEvent<T> | undefined {
    const key = keyOf(namespaceOf(object), object.metadata.name);
    const old = this.objects.get(key);
    if (old && Number(old.metadata.resourceVersion) >= revision) return undefined;
    if (old) this.unindex(key, old);
    if (type === 'DELETED') {
      if (!old) return undefined;
      this.objects.delete(key);
    } else {
      deepFreeze(object);
      this.objects.set(key, object);
      this.index(key, object);
    }
    this.sorted = undefined;
    return { type: type === 'DELETED' ? 'DELETED' : old ? 'MODIFIED' : 'ADDED', object, old, revision };
  }

  emit(event: CacheEvent<T>): void {
    for (const handler of this.handlers) {
      try {
        handler(event);
      } catch (err) {
        this.logger.error({ err, kind: this.kind, name: event.object.metadata.name }, 'cache event handler failed; continuing');
      }
    }
  }

  private index(key: string, o: T): void {
    this.byNamespace.add(key, o);
    this.byNode.add(key, o);
    this.byOwner.add(key, o);
  }

  private unindex(key: string, o: T): void {
    this.byNamespace.remove(key, o);
    this.byNode.remove(key, o);
    this.byOwner.remove(key, o);
  }

  private collect(keys: Iterable<string>): T[] {
    const out: T[] = [];
    for (const k of keys) {
      const o = this.objects.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  get(namespace: string, name: string): T | undefined {
    return this.objects.get(keyOf(namespace, name));
  }

  list(options: CacheListOptions = {}): T[] {
    checkFieldSelector(options.fieldSelector);
    let items: T[];
    const node = options.fieldSelector?.['spec.nodeName'];
    if (node) items = this.collect(this.byNode.keys(node)).sort(byNamespaceThenName);
    else if (options.namespace !== undefined) items = this.collect(this.byNamespace.keys(options.namespace)).sort(byNamespaceThenName);
    else items = this.sorted ??= [...this.objects.values()].sort(byNamespaceThenName);
    if (options.namespace === undefined && !options.labelSelector && !options.fieldSelector) return items.slice();
    return items.filter(
      (o) =>
        (options.namespace === undefined || namespaceOf(o) === options.namespace) &&
        matchesSelector(o.metadata.labels, options.labelSelector) &&
        matchesFieldSelector(o, options.fieldSelector),
    );
  }

  onNode(node: string): T[] {
    return this.collect(this.byNode.keys(node));
  }

  ownedBy(uid: string): T[] {
    return this.collect(this.byOwner.keys(uid));
  }

  size(): number {
    return this.objects.size;
  }

  countIn(namespace: string): number {
    return this.byNamespace.count(namespace);
  }

  subscribe(handler: (event: CacheEvent<T>) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
}

export function createObjectCache(opts: ObjectCacheOptions): ObjectCache {
  const logger = opts.logger.child({ part: 'cache' });
  const kinds = new Map<string, KindStore<StoredObject>>();
  for (const kind of opts.kinds ?? CACHED_KINDS) kinds.set(kind, new KindStore(kind, logger));
  let revision = 0;
  let watch: Watch | undefined;
  const waiters: Array<{ revision: number; resolve: () => void }> = [];

  const advance = (to: number): void => {
    if (to <= revision) return;
    revision = to;
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.revision <= revision) waiters.splice(i, 1)[0]!.resolve();
    }
  };

  return {
    kind<T extends StoredObject>(kind: string): KindCache<T> {
      const k = kinds.get(kind);
      if (!k) throw new Error(`the object cache does not hold ${kind} (it holds ${[...kinds.keys()].join(', ')})`);
      return k as unknown as KindCache<T>;
    },
    holds: (kind) => kinds.has(kind),
    revision: () => revision,
    waitFor(target) {
      if (target <= revision) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ revision: target, resolve }));
    },
    async start() {
      if (watch) return;
      const from = await opts.store.revision();
      for (const [kind, k] of kinds) {
        const { items } = await opts.store.list(kind);
        for (const object of items) k.apply('ADDED', object, Number(object.metadata.resourceVersion));
      }
      advance(from);
      // Changes made while listing arrive again from the watch; apply() skips what is not newer.
      watch = opts.store.watch({ fromRevision: from }, (event) => {
        const k = kinds.get(event.object.kind);
        if (k) {
          const applied = k.apply(event.type, event.object, event.revision);
          advance(event.revision);
          if (applied) k.emit(applied);
        } else {
          advance(event.revision);
        }
      });
      logger.info({ revision, objects: [...kinds.values()].reduce((n, k) => n + k.size(), 0) }, 'object cache filled');
    },
    stop() {
      watch?.close();
      watch = undefined;
    },
  };
}
