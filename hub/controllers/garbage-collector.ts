/**
 * The garbage collector: background cascading deletion, as Kubernetes does by default. An object
 * whose every ownerReference points at an owner that is gone (no object of that kind and name, or one
 * with another uid) is deleted; Pods by the graceful pod-deletion rule. Deleting a Deployment thus
 * removes its ReplicaSets, whose deletion removes their Pods.
 *
 * Level-triggered like the controllers: the queue holds dependents to check ("Kind/ns/name"). An
 * owner's DELETED event queues the objects that name its uid; an object ADDED with owners is checked
 * too (a controller may have created it just as its owner went); and every resync queues every object
 * whose owners the informer cache does not hold, so an orphan left by a crash is found. The queue is
 * fed from the cache; each check reads the store before deleting anything.
 */
import { allKinds, kindByName, type KubeObject, type OwnerReference } from '../../protocol/index.js';
import { NotFoundError } from '../store/errors.js';
import type { ObjectKey } from '../store/store.js';
import { CACHED_KINDS, type CacheEvent } from '../cache/object-cache.js';
import type { Controller } from './controller.js';
import { deletePodGracefully } from '../registry/pod-deletion.js';
import { deleteObjectRespectingFinalizers } from '../registry/object-deletion.js';
import { createReconcileLoop, loopController } from './reconcile-loop.js';
import type { WorkloadControllerOptions } from './replicaset.js';

export const GARBAGE_COLLECTOR = 'garbage-collector';

/** Kinds whose objects may own others (their deletion cascades). */
export const OWNER_KINDS = ['Deployment', 'ReplicaSet', 'DaemonSet', 'Job', 'CronJob', 'StatefulSet'] as const;

/** Kinds whose objects are checked for a missing owner. Events are left alone. */
function dependentKinds(): string[] {
  return allKinds()
    .filter((k) => k.namespaced && k.kind !== 'Event')
    .map((k) => k.kind);
}

const keyText = (k: ObjectKey): string => `${k.kind}/${k.namespace}/${k.name}`;

function parseKey(text: string): ObjectKey {
  const [kind, namespace, ...rest] = text.split('/');
  return { kind: kind!, namespace: namespace!, name: rest.join('/') };
}

const keyOf = (obj: KubeObject): ObjectKey => ({ kind: obj.kind, namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name });

export async function createGarbageCollector(opts: WorkloadControllerOptions): Promise<Controller> {
  const { store, cache, clock } = opts;
  const logger = opts.logger.child({ controller: 'garbage-collector' });

  async function ownerExists(ref: OwnerReference, namespace: string): Promise<boolean> {
    const info = kindByName(ref.kind);
    const owner = await store.get({ kind: ref.kind, namespace: info && !info.namespaced ? '' : namespace, name: ref.name });
    return owner !== undefined && owner.metadata.uid === ref.uid;
  }

  async function reconcile(text: string): Promise<void> {
    const key = parseKey(text);
    const obj = await store.get(key);
    const refs = obj?.metadata.ownerReferences ?? [];
    if (!obj || refs.length === 0) return;
    for (const ref of refs) if (await ownerExists(ref, key.namespace)) return;
    const owners = refs.map((r) => `${r.kind}/${r.name}`).join(', ');
    try {
      if (key.kind === 'Pod') {
        const deleted = await deletePodGracefully(store, key, { clock, uid: obj.metadata.uid });
        if (deleted) logger.info({ object: text, owners }, 'owner gone: deleting pod');
      } else {
        // finalizers (a claim's pvc-protection) are their controller's to clear: the object is only marked then
        if (await deleteObjectRespectingFinalizers(store, key, obj, clock)) logger.info({ object: text, owners }, 'owner gone: deleted dependent');
      }
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  const loop = createReconcileLoop({
    name: GARBAGE_COLLECTOR,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    listKeys: async () => {
      const keys: string[] = [];
      for (const kind of cachedDependentKinds()) {
        for (const obj of cache.kind(kind).list()) {
          const refs = obj.metadata.ownerReferences ?? [];
          if (refs.length === 0 || (kind === 'Pod' && obj.metadata.deletionTimestamp)) continue;
          const namespace = obj.metadata.namespace ?? 'default';
          if (!refs.some((ref) => ownerCached(ref, namespace))) keys.push(keyText(keyOf(obj)));
        }
      }
      return keys;
    },
  });

  const cachedKinds = new Set<string>(CACHED_KINDS);
  const cachedDependentKinds = () => dependentKinds().filter((k) => cachedKinds.has(k));

  /** Does the cache hold the owner `ref` names (a kind it does not hold counts as present: the store decides)? */
  function ownerCached(ref: OwnerReference, namespace: string): boolean {
    if (!cachedKinds.has(ref.kind)) return true;
    const info = kindByName(ref.kind);
    return cache.kind(ref.kind).get(info && !info.namespaced ? '' : namespace, ref.name)?.metadata.uid === ref.uid;
  }

  /** An owner is gone: queue everything in its namespace that names its uid. */
  function ownerDeleted(owner: KubeObject): void {
    const uid = owner.metadata.uid;
    if (!uid) return;
    const namespace = owner.metadata.namespace ?? 'default';
    for (const kind of cachedDependentKinds()) {
      for (const obj of cache.kind(kind).list({ namespace })) {
        if (obj.metadata.ownerReferences?.some((r) => r.uid === uid)) loop.enqueue(keyText(keyOf(obj)));
      }
    }
  }

  const ownerKinds = new Set<string>(OWNER_KINDS);

  function onEvent(event: CacheEvent): void {
    if (event.type === 'DELETED' && ownerKinds.has(event.object.kind)) ownerDeleted(event.object);
    if (event.type === 'ADDED' && (event.object.metadata.ownerReferences ?? []).length > 0) loop.enqueue(keyText(keyOf(event.object)));
  }

  return loopController(loop, logger, () => {
    const kinds = new Set<string>([...OWNER_KINDS, ...cachedDependentKinds()]);
    return [...kinds].map((kind) => cache.kind(kind).subscribe(onEvent));
  });
}
