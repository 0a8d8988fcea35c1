import { DroverError } from '../../protocol/errors.js';
import type { ObjectKey } from '../store/store.js';

export const FLEET_ERROR_CODES = {
  updateConflict: 'EFLEETCONFLICT',
  joinRefused: 'EJOINREFUSED',
} as const;

/** A compare-and-swap update kept losing to concurrent writers. */
export class UpdateRetriesExhaustedError extends DroverError {
  constructor(readonly key: ObjectKey, attempts: number, options?: { cause?: unknown }) {
    super(
      FLEET_ERROR_CODES.updateConflict,
      `${key.kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name}: still conflicting after ${attempts} attempts`,
      options,
    );
  }
}

/** A join request the hub answers with ok: false; the message is sent to the device. */
export class JoinRefusedError extends DroverError {
  constructor(reason: string) {
    super(FLEET_ERROR_CODES.joinRefused, reason);
  }
}
