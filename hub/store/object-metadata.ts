import { isDeepStrictEqual } from 'node:util';
import { customAlphabet } from 'nanoid';
import { ValidationError } from '../../protocol/errors.js';
import type { ObjectKey, StoredObject } from './store.js';

/** Five random [a-z0-9] characters appended to metadata.generateName. */
export const generateNameSuffix = customAlphabet('abcdefghijklmnopqrstuvwxyz0123456789', 5);

export function keyOf(object: StoredObject): ObjectKey {
  return { kind: object.kind, namespace: object.metadata.namespace ?? '', name: object.metadata.name };
}

/** Check the parts of an object the store itself relies on. */
export function checkWritable(object: StoredObject, needName: boolean): void {
  const doc = `${object?.kind ?? 'object'}`;
  if (!object || typeof object !== 'object') throw new ValidationError('object', '', 'must be an object');
  if (typeof object.kind !== 'string' || object.kind === '') throw new ValidationError(doc, 'kind', 'is required');
  if (!object.metadata || typeof object.metadata !== 'object') throw new ValidationError(doc, 'metadata', 'is required');
  const { name, generateName } = object.metadata as { name?: unknown; generateName?: unknown };
  if (needName && (typeof name !== 'string' || name === '')) throw new ValidationError(doc, 'metadata.name', 'is required');
  if (!needName && (typeof name !== 'string' || name === '') && (typeof generateName !== 'string' || generateName === '')) {
    throw new ValidationError(doc, 'metadata.name', 'name or generateName is required');
  }
}

/** Everything of an object except metadata and status: what metadata.generation counts changes of. */
function specPart(object: StoredObject): Record<string, unknown> {
  const { metadata: _m, status: _s, ...rest } = object;
  return rest;
}

/** True when an update changes anything but metadata and status (so metadata.generation must go up). */
export function specChanged(previous: StoredObject, next: StoredObject): boolean {
  return !isDeepStrictEqual(specPart(previous), specPart(next));
}
