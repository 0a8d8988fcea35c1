/**
 * Deleting an object that is not a Pod from inside the hub (the garbage collector, the StatefulSet
 * controller's claims), as the API's DELETE does (hub/api/deletion.ts deleteGeneric): one with finalizers
 * (a PersistentVolumeClaim's `kubernetes.io/pvc-protection`) is only marked with a deletionTimestamp and
 * goes when the controller owning its finalizers removes the last; any other is removed at once. A
 * compare-and-swap on the resourceVersion the caller read; an object already gone reads as deleted.
 */
import type { KubeObject } from '../../protocol/index.js';
import { kubeTimestamp } from '../../protocol/time.js';
import { NotFoundError } from '../store/errors.js';
import type { ObjectKey, Store } from '../store/store.js';

/** Delete (or mark) `obj`; returns false when it was gone already. */
export async function deleteObjectRespectingFinalizers(store: Store, key: ObjectKey, obj: KubeObject, clock: () => number): Promise<boolean> {
  try {
    if ((obj.metadata.finalizers ?? []).length > 0) {
      if (obj.metadata.deletionTimestamp) return true;
      const marked = { ...obj, metadata: { ...obj.metadata, deletionTimestamp: kubeTimestamp(clock()), deletionGracePeriodSeconds: 0 } };
      await store.update(marked, { expectedResourceVersion: obj.metadata.resourceVersion });
      return true;
    }
    await store.delete(key, { expectedResourceVersion: obj.metadata.resourceVersion });
    return true;
  } catch (err) {
    if (err instanceof NotFoundError) return false;
    throw err;
  }
}
