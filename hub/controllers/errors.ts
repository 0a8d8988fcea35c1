import { DroverError } from '../../protocol/errors.js';

/** The controllers' error catalogue: one code per kind of failure, each unique across Drover. */
/** Every code this area's errors carry, with what it means (listed in its README.md too). */
export const CONTROLLER_ERROR_CODES = {
  ECONTROLLER_RECONCILE: 'one reconcile of one key failed (the loop retries it with back-off)',
  ECONTROLLER_HASH_COLLISION: "a Deployment's pod-template hash kept naming a ReplicaSet with another template (a StatefulSet's, a ControllerRevision)",
  ECONTROLLER_INVALID_SCHEDULE: "a CronJob's schedule or timeZone cannot be read (the controller reports it as an InvalidSchedule or UnknownTimeZone event)",
  ECONTROLLER_METRICS_UNAVAILABLE: 'an HPA could not compute a replica count: no fresh metrics, no pods, or pods without requests (ScalingActive=False and a FailedGetResourceMetric event)',
} as const;

/** One reconcile of one key failed; `cause` is what went wrong. The loop retries it with back-off. */
export class ReconcileError extends DroverError {
  constructor(
    readonly controller: string,
    readonly key: string,
    options?: { cause?: unknown },
  ) {
    super('ECONTROLLER_RECONCILE', `${controller}: reconciling ${key} failed`, options);
  }
}

/**
 * A Deployment's pod-template hash kept naming a ReplicaSet with another template, even after bumping
 * status.collisionCount (Kubernetes' way out) several times.
 */
export class HashCollisionError extends DroverError {
  constructor(readonly deployment: string, attempts: number, readonly kind = 'deployment') {
    super('ECONTROLLER_HASH_COLLISION', `${kind} ${deployment}: pod-template hash still collides after ${attempts} attempts`);
  }
}

/** A CronJob's schedule (or timeZone) that cannot be read. */
export class ScheduleError extends DroverError {
  constructor(readonly reason: 'InvalidSchedule' | 'UnknownTimeZone', message: string, options?: { cause?: unknown }) {
    super('ECONTROLLER_INVALID_SCHEDULE', message, options);
  }
}

/** An HPA metric that gives no replica count (Kubernetes' "unable to get metrics for resource cpu: ..."). */
export class MetricsUnavailableError extends DroverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ECONTROLLER_METRICS_UNAVAILABLE', message, options);
  }
}
