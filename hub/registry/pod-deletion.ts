/**
 * The one place a Pod is deleted. Every writer goes through here: the HTTP API (DELETE), the workload
 * controllers (scale down, garbage collection), the node lifecycle (eviction, pods of deleted nodes)
 * and the fleet layer (an agent's full report that no longer lists a terminating pod).
 *
 * Graceful deletion, as the Kubernetes API server does it:
 * 1. `deletePodGracefully`: a Pod bound to an existing node gets metadata.deletionTimestamp (now +
 *    grace) and deletionGracePeriodSeconds; the object stays and leaves the node's desired set, so the
 *    agent stops it. Grace 0 (force), an unbound pod, or a pod whose node no longer exists is removed at
 *    once. A pod already terminating is left as it is (the node is on it).
 * 2. `completePodDeletions`: once the node's agent reports (in a full report) that a terminating pod
 *    is gone, the object is removed (the kubelet's final delete with grace 0). Pods with finalizers
 *    stay for whoever owns the finalizer.
 * Writes are compare-and-swap on the pod's resourceVersion, re-read and retried on conflict.
 */
import type { Logger } from '../../protocol/logger.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { kubeTimestamp } from '../../protocol/time.js';
import { ConflictError, NotFoundError } from '../store/errors.js';
import type { ObjectKey, Store } from '../store/store.js';
import type { ObjectCache } from '../cache/object-cache.js';
import { DEFAULT_CAS_ATTEMPTS, retryOnConflict } from '../store/update-with-retry.js';

export const DEFAULT_GRACE_PERIOD_SECONDS = 30;

export interface PodDeletionOptions {
  clock: () => number;
  /** Overrides the pod's spec.terminationGracePeriodSeconds (default 30). 0 removes the pod at once. */
  gracePeriodSeconds?: number;
  /** Called with every fresh read before writing; throw to refuse (the API's preconditions). */
  check?: (pod: KubeObject) => void;
  /** Re-read and retry when the pod changed under the write (default true). */
  retryOnConflict?: boolean;
  /** Only delete the pod with this uid (a controller deleting what it saw); another uid reads as gone. */
  uid?: string;
}

/**
 * Delete the Pod at `key` by rule 1 above. Returns the removed or now-terminating pod, or undefined
 * when there is no such pod (any more). Throws ConflictError when retries are exhausted (or disabled).
 */
export async function deletePodGracefully(store: Store, key: ObjectKey, opts: PodDeletionOptions): Promise<KubeObject | undefined> {
  const attempt = async (): Promise<KubeObject | undefined> => {
    const pod = await store.get(key);
    if (!pod || (opts.uid !== undefined && pod.metadata.uid !== opts.uid)) return undefined;
    opts.check?.(pod);
    const spec = (pod.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
    const grace = opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS;
    const node = spec.nodeName ? await store.get({ kind: 'Node', namespace: '', name: spec.nodeName }) : undefined;
    try {
      if (!node || grace === 0) {
        return await store.delete(key, { expectedResourceVersion: pod.metadata.resourceVersion });
      }
      if (pod.metadata.deletionTimestamp) return pod;
      const terminating: KubeObject = {
        ...pod,
        metadata: { ...pod.metadata, deletionTimestamp: kubeTimestamp(opts.clock() + grace * 1000), deletionGracePeriodSeconds: grace },
      };
      return await store.update(terminating, { expectedResourceVersion: pod.metadata.resourceVersion });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  };
  // Someone else wrote the pod meanwhile (status report, scheduler): read it again.
  return retryOnConflict(attempt, { attempts: (opts.retryOnConflict ?? true) ? DEFAULT_CAS_ATTEMPTS + 1 : 1 });
}

/**
 * Rule 2: `reportedUids` is everything the node's agent still runs (a full report). Each pod bound
 * to `node` that is terminating and not among them has been stopped, so its object is removed.
 * A pod that changed or went meanwhile is left for the next full report. Returns the removed pods' keys.
 */
export async function completePodDeletions(
  store: Store,
  cache: ObjectCache,
  logger: Logger,
  node: string,
  reportedUids: ReadonlySet<string>,
): Promise<string[]> {
  const removed: string[] = [];
  for (const pod of cache.kind<Pod>('Pod').onNode(node)) {
    if (!pod.metadata.deletionTimestamp || reportedUids.has(pod.metadata.uid ?? '')) continue;
    const key = { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name };
    const name = `${key.namespace}/${key.name}`;
    if ((pod.metadata.finalizers ?? []).length > 0) {
      logger.debug({ node, pod: name, finalizers: pod.metadata.finalizers }, 'stopped pod kept for its finalizers');
      continue;
    }
    try {
      await store.delete(key, { expectedResourceVersion: pod.metadata.resourceVersion });
      removed.push(name);
      logger.info({ node, pod: name }, 'pod stopped by the agent: deletion complete');
    } catch (err) {
      // Changed or gone meanwhile: the next full report decides again.
      if (err instanceof ConflictError || err instanceof NotFoundError) {
        logger.debug({ node, pod: name, code: err.code }, 'pod deletion deferred');
        continue;
      }
      throw err;
    }
  }
  return removed;
}
