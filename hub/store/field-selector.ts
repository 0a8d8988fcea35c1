import { ValidationError } from '../../protocol/errors.js';
import type { StoredObject } from './store.js';

/** The field paths list() can filter on, as Kubernetes names them. A missing field reads as ''. */
const FIELD_READERS: Record<string, (o: StoredObject) => unknown> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
  'spec.nodeName': (o) => (o.spec as { nodeName?: unknown } | undefined)?.nodeName,
  'status.phase': (o) => (o.status as { phase?: unknown } | undefined)?.phase,
};

export const SUPPORTED_FIELD_SELECTORS = Object.keys(FIELD_READERS);

/** Throws ValidationError (document 'fieldSelector', field = the key) for a key the store cannot filter on. */
export function checkFieldSelector(selector: Record<string, string> | undefined): void {
  for (const key of Object.keys(selector ?? {})) {
    if (!FIELD_READERS[key]) {
      throw new ValidationError('fieldSelector', key, `field label not supported (use one of ${SUPPORTED_FIELD_SELECTORS.join(', ')})`);
    }
  }
}

/** Equality match on every key; `spec.nodeName: ''` selects objects without a node, as in Kubernetes. */
export function matchesFieldSelector(object: StoredObject, selector: Record<string, string> | undefined): boolean {
  for (const [key, want] of Object.entries(selector ?? {})) {
    const read = FIELD_READERS[key];
    if (!read) return false;
    const value = read(object);
    const actual = value === undefined || value === null ? '' : String(value);
    if (actual !== want) return false;
  }
  return true;
}
