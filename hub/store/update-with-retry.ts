/**
 * Compare-and-swap with retries: the one way every writer in the hub resolves a lost race. Read the
 * object, compute the new version, write it with the read resourceVersion; on ConflictError read again.
 *
 * `retryOnConflict` is the loop itself, for writers whose read-decide-write is more than one update
 * (bind or mark unschedulable, graceful or immediate delete, create or replace); `updateWithRetry` is
 * the common read-modify-write of one object.
 */
import { ConflictError, UpdateRetriesExhaustedError } from './errors.js';
import type { ObjectKey, Store, StoredObject } from './store.js';

/** How many times a writer tries before giving up on a contended object. */
export const DEFAULT_CAS_ATTEMPTS = 5;

export interface RetryOptions {
  /** Total attempts, the first included (default 5). */
  attempts?: number;
  /** Other errors that mean "the object moved under us: read it again" (e.g. AlreadyExistsError for create-or-replace). */
  alsoRetry?: (err: unknown) => boolean;
  /** Called before each retry, with the attempt that failed (1-based) and its error. */
  onRetry?: (attempt: number, err: unknown) => void;
}

/**
 * Run `attempt` (a fresh read, a decision and a CAS write) until it does not throw ConflictError, at
 * most `attempts` times; the last conflict is rethrown. Any other error ends the loop at once.
 */
export async function retryOnConflict<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? DEFAULT_CAS_ATTEMPTS;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      const retryable = err instanceof ConflictError || opts.alsoRetry?.(err) === true;
      if (!retryable || n >= attempts) throw err;
      opts.onRetry?.(n, err);
    }
  }
}

export type UpdateOutcome<T> =
  | { outcome: 'updated'; object: T }
  /** mutate returned undefined: nothing to write. */
  | { outcome: 'unchanged'; object: T }
  | { outcome: 'notFound' };

/**
 * Read-modify-write of one object: `mutate` gets a copy of the current object and returns the next
 * version (or undefined: nothing to write). Throws UpdateRetriesExhaustedError when every attempt lost.
 */
export async function updateWithRetry<T extends StoredObject>(
  store: Store,
  key: ObjectKey,
  mutate: (current: T) => T | undefined,
  attempts = DEFAULT_CAS_ATTEMPTS,
): Promise<UpdateOutcome<T>> {
  try {
    return await retryOnConflict<UpdateOutcome<T>>(
      async () => {
        const current = await store.get<T>(key);
        if (!current) return { outcome: 'notFound' };
        const next = mutate(structuredClone(current));
        if (next === undefined) return { outcome: 'unchanged', object: current };
        const written = await store.update<T>(next, { expectedResourceVersion: current.metadata.resourceVersion });
        return { outcome: 'updated', object: written };
      },
      { attempts },
    );
  } catch (err) {
    if (err instanceof ConflictError) throw new UpdateRetriesExhaustedError(key, attempts, { cause: err });
    throw err;
  }
}
