/**
 * Kubernetes' apiequality.Semantic.DeepEqual for objects read as JSON: a member that is null, an empty
 * map or an empty list means the same as an absent one (Go decodes all of them to the zero value, and
 * writes them back either way). kubectl sends templates with `creationTimestamp: null` and
 * `resources: {}` (`rollout undo` copies a ReplicaSet's template so), which must still match the
 * template they came from.
 */
import { isDeepStrictEqual } from 'node:util';

/** A copy of `value` without null members, empty maps and empty lists (recursively); undefined when nothing is left. */
export function pruneEmpty(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined;
    // list items keep their places: an empty item is not removed, only emptied
    return value.map((v) => pruneEmpty(v) ?? {});
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const pruned = pruneEmpty(v);
      if (pruned !== undefined) out[k] = pruned;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return value;
}

/** Equal once null members, empty maps and empty lists are left out on both sides. */
export function semanticallyEqual(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(pruneEmpty(a), pruneEmpty(b));
}
