import { DroverError } from '../../protocol/errors.js';
import type { ObjectKey } from './store.js';

export const STORE_ERROR_CODES = {
  notFound: 'ENOTFOUND',
  alreadyExists: 'EALREADYEXISTS',
  conflict: 'ECONFLICT',
  compacted: 'ECOMPACTED',
  closed: 'ESTORECLOSED',
  io: 'ESTOREIO',
} as const;

const describe = (k: ObjectKey) => `${k.kind} ${k.namespace ? `${k.namespace}/` : ''}${k.name}`;

export class NotFoundError extends DroverError {
  constructor(readonly key: ObjectKey) {
    super(STORE_ERROR_CODES.notFound, `${describe(key)} not found`);
  }
}
export class AlreadyExistsError extends DroverError {
  constructor(readonly key: ObjectKey) {
    super(STORE_ERROR_CODES.alreadyExists, `${describe(key)} already exists`);
  }
}
export class ConflictError extends DroverError {
  constructor(readonly key: ObjectKey, readonly expected: string, readonly actual: string) {
    super(
      STORE_ERROR_CODES.conflict,
      `${describe(key)} was modified (resourceVersion ${actual}, expected ${expected}); read it again and retry`,
    );
  }
}
export class RevisionCompactedError extends DroverError {
  constructor(readonly requested: number, readonly oldest: number) {
    super(STORE_ERROR_CODES.compacted, `revision ${requested} is older than the kept history (oldest ${oldest})`);
  }
}
export class StoreClosedError extends DroverError {
  constructor() {
    super(STORE_ERROR_CODES.closed, 'store is closed');
  }
}
/** The backend failed to read or write (disk full, I/O error). */
export class StoreIOError extends DroverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(STORE_ERROR_CODES.io, message, options);
  }
}
