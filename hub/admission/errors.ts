import { DroverError } from '../../protocol/errors.js';

/** Every code admission's errors carry, with what it means (listed in README.md too). */
export const ADMISSION_ERROR_CODES = {
  EADMISSION_FORBIDDEN:
    'a write admission refuses: a pod that violates its namespace\'s PodSecurity enforce level, tolerating every taint without the right, weakening a namespace\'s pod-security labels without an admin token, an Event claiming a component\'s name',
  EADMISSION_INVALID: 'a Namespace whose pod-security.kubernetes.io labels are not a level or version',
} as const;

/** `pods "x" is forbidden: <reason>`: the object and why, worded as Kubernetes' Forbidden errors. */
export class AdmissionForbiddenError extends DroverError {
  constructor(
    /** Kubernetes' group-resource: "pods", "deployments.apps". */
    readonly resource: string,
    readonly objectName: string,
    readonly reason: string,
  ) {
    super('EADMISSION_FORBIDDEN', `${resource} "${objectName}" is forbidden: ${reason}`);
  }
}

/** One label that is not what it should be, in Kubernetes' words. */
export interface LabelFieldProblem {
  field: string;
  value: string;
  message: string;
}

/** A Namespace whose pod-security labels cannot be read: every problem. */
export class AdmissionInvalidError extends DroverError {
  constructor(
    readonly kind: string,
    readonly objectName: string,
    readonly problems: readonly LabelFieldProblem[],
  ) {
    super(
      'EADMISSION_INVALID',
      `${kind} "${objectName}" is invalid: ${problems.map((p) => `${p.field}: Invalid value: ${JSON.stringify(p.value)}: ${p.message}`).join(', ')}`,
    );
  }
}
