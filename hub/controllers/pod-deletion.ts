/**
 * The one rule for deleting a Pod, shared by the HTTP API (DELETE), the workload controllers (scale
 * down, garbage collection) and the node lifecycle (eviction):
 * - a Pod bound to an existing node is deleted gracefully: metadata.deletionTimestamp (now + grace) and
 *   deletionGracePeriodSeconds are set and the object stays; the fleet layer removes it once the agent
 *   reports the pod gone;
 * - grace 0 (force), an unbound pod, or a pod whose node no longer exists is removed at once;
 * - a pod already terminating is left as it is (the node is on it).
 * Writes are compare-and-swap on the pod's resourceVersion, re-read and retried on conflict.
 */
import type { KubeObject } from '../../protocol/objects/meta.js';
import { ConflictError, NotFoundError } from '../store/errors.js';
import type { ObjectKey, Store } from '../store/store.js';
import { kubeTimestamp } from '../../protocol/time.js';

export const DEFAULT_GRACE_PERIOD_SECONDS = 30;
export const POD_DELETE_CAS_RETRIES = 5;

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
 * Delete the Pod at `key` by the rule above. Returns the removed or now-terminating pod, or undefined
 * when there is no such pod (any more). Throws ConflictError when retries are exhausted (or disabled).
 */
export async function deletePodGracefully(store: Store, key: ObjectKey, opts: PodDeletionOptions): Promise<KubeObject | undefined> {
  const retry = opts.retryOnConflict ?? true;
  for (let attempt = 0; ; attempt++) {
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
      // Someone else wrote the pod meanwhile (status report, scheduler): read it again.
      if (err instanceof ConflictError && retry && attempt < POD_DELETE_CAS_RETRIES) continue;
      throw err;
    }
  }
}
