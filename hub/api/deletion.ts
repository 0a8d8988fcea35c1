/**
 * DELETE semantics beyond "remove the row":
 * - A Pod bound to an existing node is deleted gracefully: metadata.deletionTimestamp (now + grace) and
 *   deletionGracePeriodSeconds are set and the object stays; the fleet layer removes it once the agent
 *   reports the pod gone. gracePeriodSeconds=0 (force), an unbound pod, or a pod whose node no longer
 *   exists is removed at once.
 * - A Namespace takes its objects with it ("default" may not be deleted).
 * - A Node loses its MQTT credential too, so it cannot come back without a new join token.
 */
import { allKinds, kindByName } from '../../protocol/kinds.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import { NotFoundError } from '../store/errors.js';
import { deletePodGracefully } from '../registry/pod-deletion.js';
import type { ObjectKey } from '../store/store.js';
import type { ApiDeps } from './context.js';
import { apiErrors, pluralOf } from './status.js';
import { kubeTimestamp } from '../../protocol/time.js';

export { DEFAULT_GRACE_PERIOD_SECONDS } from '../registry/pod-deletion.js';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
}

/** DeleteOptions from the (optional) body and the query (?gracePeriodSeconds=). */
export function parseDeleteOptions(body: unknown, params: URLSearchParams): DeleteOptions {
  const out: DeleteOptions = {};
  if (body !== undefined) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw apiErrors.badRequest('DeleteOptions must be a JSON object');
    const b = body as { gracePeriodSeconds?: unknown; preconditions?: unknown };
    if (b.gracePeriodSeconds !== undefined && b.gracePeriodSeconds !== null) {
      if (typeof b.gracePeriodSeconds !== 'number' || !Number.isInteger(b.gracePeriodSeconds) || b.gracePeriodSeconds < 0) {
        throw apiErrors.badRequest('gracePeriodSeconds must be a non-negative integer');
      }
      out.gracePeriodSeconds = b.gracePeriodSeconds;
    }
    if (b.preconditions !== undefined && b.preconditions !== null) {
      const p = b.preconditions as { uid?: unknown; resourceVersion?: unknown };
      out.preconditions = {};
      if (typeof p.uid === 'string') out.preconditions.uid = p.uid;
      if (typeof p.resourceVersion === 'string') out.preconditions.resourceVersion = p.resourceVersion;
    }
  }
  const q = params.get('gracePeriodSeconds');
  if (q !== null) {
    const n = Number(q);
    if (!Number.isInteger(n) || n < 0) throw apiErrors.badRequest(`gracePeriodSeconds must be a non-negative integer, not "${q}"`);
    out.gracePeriodSeconds = n;
  }
  return out;
}

function checkPreconditions(obj: KubeObject, options: DeleteOptions): void {
  const pre = options.preconditions;
  if (pre?.uid !== undefined && pre.uid !== obj.metadata.uid) {
    throw apiErrors.conflict(pluralOf(obj.kind), obj.metadata.name);
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== obj.metadata.resourceVersion) {
    throw apiErrors.conflict(pluralOf(obj.kind), obj.metadata.name);
  }
}

/**
 * The store delete for an object already read and checked: a compare-and-swap on the version the
 * caller's preconditions were checked against, only when there are preconditions. A plain DELETE
 * removes whatever version is current, as kube-apiserver does, so a controller writing the object
 * meanwhile cannot turn it into a 409.
 */
function deleteAfterCheck(deps: ApiDeps, key: ObjectKey, checked: KubeObject, options: DeleteOptions): Promise<KubeObject> {
  const pre = options.preconditions;
  const conditional = pre?.uid !== undefined || pre?.resourceVersion !== undefined;
  return deps.store.delete(key, conditional ? { expectedResourceVersion: checked.metadata.resourceVersion } : {});
}

async function getOr404(deps: ApiDeps, key: ObjectKey): Promise<KubeObject> {
  const obj = await deps.store.get(key);
  if (!obj) throw apiErrors.notFound(pluralOf(key.kind), key.name, kindByName(key.kind)?.group ?? '');
  return obj;
}

/** Delete a Pod, gracefully when a node has to stop it first (the one rule, in hub/registry/pod-deletion.ts). */
export async function deletePod(deps: ApiDeps, key: ObjectKey, options: DeleteOptions): Promise<KubeObject> {
  const deleted = await deletePodGracefully(deps.store, key, {
    clock: deps.clock,
    gracePeriodSeconds: options.gracePeriodSeconds,
    check: (pod) => checkPreconditions(pod, options),
    // A caller who asked for a specific version gets the conflict, not a retry.
    retryOnConflict: !options.preconditions?.resourceVersion,
  });
  if (!deleted) throw apiErrors.notFound(pluralOf(key.kind), key.name, kindByName(key.kind)?.group ?? '');
  return deleted;
}

/** Delete a Namespace and every namespaced object in it. */
export async function deleteNamespace(deps: ApiDeps, name: string, options: DeleteOptions): Promise<KubeObject> {
  if (name === 'default') throw apiErrors.forbidden('namespaces "default" is forbidden: this namespace may not be deleted');
  const ns = await getOr404(deps, { kind: 'Namespace', namespace: '', name });
  checkPreconditions(ns, options);
  for (const info of allKinds()) {
    if (!info.namespaced) continue;
    const { items } = await deps.store.list(info.kind, { namespace: name });
    for (const obj of items) {
      const key = { kind: info.kind, namespace: name, name: obj.metadata.name };
      try {
        if (info.kind === 'Pod') await deletePod(deps, key, { gracePeriodSeconds: options.gracePeriodSeconds });
        else await deps.store.delete(key);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        deps.logger.debug({ key }, 'object already gone while deleting its namespace');
      }
    }
  }
  return deleteAfterCheck(deps, { kind: 'Namespace', namespace: '', name }, ns, options);
}

/** Delete a Node and revoke its MQTT credential. */
export async function deleteNode(deps: ApiDeps, name: string, options: DeleteOptions): Promise<KubeObject> {
  const node = await getOr404(deps, { kind: 'Node', namespace: '', name });
  checkPreconditions(node, options);
  try {
    await deps.auth.revokeNodeCredential(name);
  } catch (err) {
    // A node that never finished joining has no credential: nothing to revoke.
    if (!(err instanceof NotFoundError)) throw err;
    deps.logger.debug({ node: name, err }, 'node had no credential to revoke');
  }
  return deleteAfterCheck(deps, { kind: 'Node', namespace: '', name }, node, options);
}

/**
 * Delete any other object. One with finalizers (a PersistentVolumeClaim's `kubernetes.io/pvc-protection`)
 * is only marked (metadata.deletionTimestamp) and stays until its finalizers are removed, as in Kubernetes:
 * by the controller that owns them, or by an update that empties them (resources.ts, storeUpdate).
 */
export async function deleteGeneric(deps: ApiDeps, key: ObjectKey, options: DeleteOptions): Promise<KubeObject> {
  const obj = await getOr404(deps, key);
  checkPreconditions(obj, options);
  if ((obj.metadata.finalizers ?? []).length > 0) {
    if (obj.metadata.deletionTimestamp) return obj;
    const marked = { ...obj, metadata: { ...obj.metadata, deletionTimestamp: kubeTimestamp(deps.clock()), deletionGracePeriodSeconds: 0 } };
    return deps.store.update(marked, { expectedResourceVersion: obj.metadata.resourceVersion });
  }
  return deleteAfterCheck(deps, key, obj, options);
}

/** An object being deleted whose last finalizer an update removed goes (never a Pod: its deletion is the agent's to finish). */
export function finalizedByUpdate(existing: KubeObject, next: KubeObject): boolean {
  return existing.kind !== 'Pod' && Boolean(existing.metadata.deletionTimestamp) && (existing.metadata.finalizers ?? []).length > 0 && (next.metadata.finalizers ?? []).length === 0;
}
