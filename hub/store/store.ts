/**
 * The Store contract: the hub's only access to cluster state. The SQLite backend implements it now;
 * an etcd backend can slot in later. Semantics follow the Kubernetes API server over etcd:
 *
 * - Every write bumps one global, monotonic revision; an object's metadata.resourceVersion is the
 *   revision of its last write (as a decimal string).
 * - update() and delete() take an optional expected resourceVersion: a compare-and-swap that fails with
 *   ConflictError when the object changed since.
 * - watch() delivers every change after `fromRevision`, in revision order, then live changes. A
 *   revision older than the kept history fails with RevisionCompactedError (410 Gone in the API).
 * - A write resolves only once it is durable (fsync'd): a crash after that loses nothing.
 */
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { LabelSelector } from '../../protocol/labels.js';

export type StoredObject = KubeObject;

export interface ObjectKey {
  kind: string;
  /** '' for cluster-scoped kinds. */
  namespace: string;
  name: string;
}

export interface ListOptions {
  /** Restrict to one namespace; undefined = all namespaces. */
  namespace?: string;
  labelSelector?: LabelSelector;
  /** Match on fields: supported keys are 'metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'. */
  fieldSelector?: Record<string, string>;
}

export interface ListResult<T extends StoredObject = StoredObject> {
  items: T[];
  /** The store revision the list was read at; watch from here to see what follows. */
  revision: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent<T extends StoredObject = StoredObject> {
  type: WatchEventType;
  /** The object after the change (for DELETED: as it was when deleted, with the delete's resourceVersion). */
  object: T;
  revision: number;
}

/**
 * A change as the store recorded it, the object still JSON text: for callers that forward objects
 * without reading them (the API's watch streams), so a change fanned out to many watchers is parsed
 * and serialized by none of them.
 */
export interface RawWatchEvent {
  type: WatchEventType;
  revision: number;
  kind: string;
  /** '' for cluster-scoped kinds. */
  namespace: string;
  name: string;
  /** The object after the change, as JSON. */
  json: string;
}

export interface WatchOptions {
  /** Restrict to one kind; undefined = every kind. */
  kind?: string;
  namespace?: string;
  /** Deliver changes with revision > fromRevision. undefined = only live changes from now. */
  fromRevision?: number;
}

export interface Watch {
  /** Stop delivering events. Idempotent. */
  close(): void;
}

export interface WriteOptions {
  /** Compare-and-swap on metadata.resourceVersion. */
  expectedResourceVersion?: string;
}

export interface Store {
  get<T extends StoredObject = StoredObject>(key: ObjectKey): Promise<T | undefined>;
  list<T extends StoredObject = StoredObject>(kind: string, options?: ListOptions): Promise<ListResult<T>>;
  /**
   * Create an object. Sets metadata.uid (if absent), resourceVersion, creationTimestamp, generation=1,
   * and a name from generateName if name is absent. Throws AlreadyExistsError.
   */
  create<T extends StoredObject>(object: T): Promise<T>;
  /**
   * Replace an object. Keeps uid and creationTimestamp; bumps metadata.generation when anything but
   * status/metadata changed. Throws NotFoundError, ConflictError.
   */
  update<T extends StoredObject>(object: T, options?: WriteOptions): Promise<T>;
  /** Delete; returns the deleted object. Throws NotFoundError, ConflictError. */
  delete<T extends StoredObject = StoredObject>(key: ObjectKey, options?: WriteOptions): Promise<T>;
  watch(options: WatchOptions, handler: (event: WatchEvent) => void): Watch;
  /** watch(), delivering each change as JSON text (the same text to every such watcher). */
  watchJson(options: WatchOptions, handler: (event: RawWatchEvent) => void): Watch;
  /** The current revision. */
  revision(): Promise<number>;
  /**
   * The history is kept after this revision: a watch from it or a newer one replays every change, an
   * older one fails with RevisionCompactedError (the API's 410 Expired, also for an old continue token).
   * Optional for wrappers and test stores (0 = everything kept).
   */
  compactedRevision?(): Promise<number>;
  /**
   * Move the revision forward to `to` if it is below (etcd's --bump-revision): the next write gets a revision
   * after it, and watches from an older revision get 410 and re-list. For a hub on a restored store, so that
   * no revision (and no desired-set generation) is handed out twice. Resolves with the revision now.
   */
  bumpRevision(to: number): Promise<number>;
  /** Flush and close. Further calls throw StoreClosedError. */
  close(): Promise<void>;
}
