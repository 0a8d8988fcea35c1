import { DroverError } from '../../protocol/errors.js';

/** Every code this area's errors carry, with what it means (listed in its README.md too). */
export const SCHEDULER_ERROR_CODES = {
  ESCHEDULER_BIND_CONFLICT: 'the pod kept changing under the scheduler: every compare-and-swap bind conflicted',
} as const;

/** The pod kept changing under the scheduler: every compare-and-swap bind attempt conflicted. */
export class BindConflictError extends DroverError {
  constructor(podKey: string, attempts: number, options?: { cause?: unknown }) {
    super('ESCHEDULER_BIND_CONFLICT', `pod ${podKey} changed during ${attempts} bind attempts; retrying later`, options);
  }
}
