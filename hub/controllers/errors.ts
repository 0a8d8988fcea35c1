import { DroverError } from '../../protocol/errors.js';

/** The controllers' error catalogue: one code per kind of failure, each unique across Drover. */
export const CONTROLLER_ERROR_CODES = {
  reconcileFailed: 'ERECONCILE',
  hashCollision: 'EHASHCOLLISION',
} as const;

/** One reconcile of one key failed; `cause` is what went wrong. The loop retries it with back-off. */
export class ReconcileError extends DroverError {
  constructor(
    readonly controller: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super(CONTROLLER_ERROR_CODES.reconcileFailed, `${controller}: reconciling ${key} failed`, options);
  }
}

/**
 * A Deployment's pod-template hash kept naming a ReplicaSet with another template, even after bumping
 * status.collisionCount (Kubernetes' way out) several times.
 */
export class HashCollisionError extends DroverError {
  constructor(readonly deployment: string, attempts: number) {
    super(CONTROLLER_ERROR_CODES.hashCollision, `deployment ${deployment}: pod-template hash still collides after ${attempts} attempts`);
  }
}
