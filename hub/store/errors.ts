import { DroverError } from '../../protocol/errors.js';
import type { ObjectKey } from './store.js';

/** Every code the store's errors carry, with what it means (listed in README.md too). */
export const STORE_ERROR_CODES = {
  ESTORE_NOT_FOUND: 'no object with that kind, namespace and name',
  ESTORE_ALREADY_EXISTS: 'an object with that kind, namespace and name exists already',
  ESTORE_CONFLICT: 'the object changed since it was read (compare-and-swap lost): read it again',
  ESTORE_RETRIES_EXHAUSTED: 'a compare-and-swap update kept losing to concurrent writers',
  ESTORE_COMPACTED: 'a watch asked for a revision older than the kept history (410 Gone)',
  ESTORE_CLOSED: 'the store was closed',
  ESTORE_IO: 'the backend failed to read or write (disk full, I/O error, corruption)',
} as const;
export type StoreErrorCode = keyof typeof STORE_ERROR_CODES;

const describe = (k: ObjectKey) => `${k.kind} ${k.namespace ? `${k.namespace}/` : ''}${k.name}`;

export class NotFoundError extends DroverError {
  constructor(readonly key: ObjectKey) {
    super('ESTORE_NOT_FOUND', `${describe(key)} not found`);
  }
}
export class AlreadyExistsError extends DroverError {
  constructor(readonly key: ObjectKey) {
    super('ESTORE_ALREADY_EXISTS', `${describe(key)} already exists`);
  }
}
export class ConflictError extends DroverError {
  constructor(readonly key: ObjectKey, readonly expected: string, readonly actual: string) {
    super('ESTORE_CONFLICT', `${describe(key)} was modified (resourceVersion ${actual}, expected ${expected}); read it again and retry`);
  }
}
/** A compare-and-swap update kept losing to concurrent writers. */
export class UpdateRetriesExhaustedError extends DroverError {
  constructor(readonly key: ObjectKey, attempts: number, options?: { cause?: unknown }) {
    super('ESTORE_RETRIES_EXHAUSTED', `${describe(key)}: still conflicting after ${attempts} attempts`, options);
  }
}
export class RevisionCompactedError extends DroverError {
  constructor(readonly requested: number, readonly oldest: number) {
    super('ESTORE_COMPACTED', `revision ${requested} is older than the kept history (oldest ${oldest})`);
  }
}
export class StoreClosedError extends DroverError {
  constructor() {
    super('ESTORE_CLOSED', 'store is closed');
  }
}
/** The backend failed to read or write (disk full, I/O error). */
export class StoreIOError extends DroverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ESTORE_IO', message, options);
  }
}
