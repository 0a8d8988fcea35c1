import { ValidationError } from '../../protocol/errors.js';
import type { StoredObject } from './store.js';

/** The field paths list() can filter on, as Kubernetes names them. A missing field reads as ''. */
const FIELD_READERS: Record<string, (o: StoredObject) => unknown> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
  'spec.nodeName': (o) => (o.spec as { nodeName?: unknown } | undefined)?.nodeName,
  'status.phase': (o) => (o.status as { phase?: unknown } | undefined)?.phase,
  // Events, as kube-apiserver selects them (kubectl describe finds an object's events this way)
  'involvedObject.kind': (o) => involved(o)?.kind,
  'involvedObject.namespace': (o) => involved(o)?.namespace,
  'involvedObject.name': (o) => involved(o)?.name,
  'involvedObject.uid': (o) => involved(o)?.uid,
  'involvedObject.apiVersion': (o) => involved(o)?.apiVersion,
  'involvedObject.resourceVersion': (o) => involved(o)?.resourceVersion,
  'involvedObject.fieldPath': (o) => involved(o)?.fieldPath,
  reason: (o) => (o as { reason?: unknown }).reason,
  type: (o) => (o as { type?: unknown }).type,
  reportingComponent: (o) => (o as { reportingComponent?: unknown }).reportingComponent,
  source: (o) => (o as { source?: { component?: unknown } }).source?.component,
};

function involved(o: StoredObject): Record<string, unknown> | undefined {
  return (o as { involvedObject?: Record<string, unknown> }).involvedObject;
}

export const SUPPORTED_FIELD_SELECTORS = Object.keys(FIELD_READERS);

/** Throws ValidationError (document 'fieldSelector', field = the key) for a key the store cannot filter on. */
export function checkFieldSelector(selector: Record<string, string> | undefined): void {
  for (const key of Object.keys(selector ?? {})) {
    if (!FIELD_READERS[key]) {
      throw new ValidationError('fieldSelector', key, `field label not supported (use one of ${SUPPORTED_FIELD_SELECTORS.join(', ')})`);
    }
  }
}

/** The value of a selectable field as a selector compares it ('' when missing); undefined for a field that is not selectable. */
export function readField(object: StoredObject, key: string): string | undefined {
  const read = FIELD_READERS[key];
  if (!read) return undefined;
  const value = read(object);
  return value === undefined || value === null ? '' : String(value);
}

/** Equality match on every key; `spec.nodeName: ''` selects objects without a node, as in Kubernetes. */
export function matchesFieldSelector(object: StoredObject, selector: Record<string, string> | undefined): boolean {
  for (const [key, want] of Object.entries(selector ?? {})) {
    if (readField(object, key) !== want) return false;
  }
  return true;
}
