import type { Logger } from '../../protocol/logger.js';
import type { Store, StoredObject, Watch } from '../store/store.js';
import { clusterKey } from './kinds.js';

export interface CredentialCache<T extends StoredObject> {
  /** The stored object (from memory when cached); misses are not cached. */
  get(name: string): Promise<T | undefined>;
  invalidate(name: string): void;
  close(): void;
}

/**
 * A read-through cache of one cluster-scoped kind, for verify calls on hot paths (every MQTT connect,
 * every HTTP request). Entries are dropped on local writes (invalidate) and on any store event for
 * the kind, so a revoke through another AuthService on the same store is seen too. An epoch counter
 * keeps a read that raced with an invalidation from re-inserting stale data.
 */
export function createCredentialCache<T extends StoredObject>(opts: { store: Store; kind: string; logger: Logger }): CredentialCache<T> {
  const entries = new Map<string, T>();
  let epoch = 0;
  const invalidate = (name: string): void => {
    epoch++;
    entries.delete(name);
  };
  let watch: Watch | undefined;
  try {
    watch = opts.store.watch({ kind: opts.kind }, (event) => invalidate(event.object.metadata.name));
  } catch (err) {
    // Without the watch, only local writes invalidate: safe for a single hub; say so loudly.
    opts.logger.error({ err, kind: opts.kind }, 'cannot watch credentials; cache disabled');
  }
  const enabled = watch !== undefined;

  return {
    async get(name) {
      const cached = entries.get(name);
      if (cached) return cached;
      const startEpoch = epoch;
      const found = await opts.store.get<T>(clusterKey(opts.kind, name));
      if (found && enabled && epoch === startEpoch) entries.set(name, found);
      return found;
    },
    invalidate,
    close() {
      watch?.close();
      entries.clear();
    },
  };
}
