import { DroverError } from '../../protocol/errors.js';

export const SCHEDULER_ERROR_CODES = {
  bindConflict: 'EBINDCONFLICT',
} as const;

/** The pod kept changing under the scheduler: every compare-and-swap bind attempt conflicted. */
export class BindConflictError extends DroverError {
  constructor(podKey: string, attempts: number, options?: { cause?: unknown }) {
    super(SCHEDULER_ERROR_CODES.bindConflict, `pod ${podKey} changed during ${attempts} bind attempts; retrying later`, options);
  }
}
