/**
 * Read-modify-write with compare-and-swap: read the object, let `mutate` compute the new version,
 * write it with the read resourceVersion, and start over on ConflictError.
 */
import { ConflictError } from '../store/errors.js';
import type { ObjectKey, Store, StoredObject } from '../store/store.js';
import { UpdateRetriesExhaustedError } from './errors.js';

export type UpdateOutcome<T> =
  | { outcome: 'updated'; object: T }
  /** mutate returned undefined: nothing to write. */
  | { outcome: 'unchanged'; object: T }
  | { outcome: 'notFound' };

export async function updateWithRetry<T extends StoredObject>(
  store: Store,
  key: ObjectKey,
  mutate: (current: T) => T | undefined,
  attempts = 5,
): Promise<UpdateOutcome<T>> {
  let lastConflict: unknown;
  for (let i = 0; i < attempts; i++) {
    const current = await store.get<T>(key);
    if (!current) return { outcome: 'notFound' };
    const next = mutate(structuredClone(current));
    if (next === undefined) return { outcome: 'unchanged', object: current };
    try {
      const written = await store.update<T>(next, { expectedResourceVersion: current.metadata.resourceVersion });
      return { outcome: 'updated', object: written };
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      lastConflict = err;
    }
  }
  throw new UpdateRetriesExhaustedError(key, attempts, { cause: lastConflict });
}
