import { DroverError } from '../../protocol/errors.js';

/** Every code the registry's errors carry, with what it means (listed in README.md too). */
export const REGISTRY_ERROR_CODES = {
  EREGISTRY_SERVICE_INVALID: 'a Service the registry will not store: an address or port out of range or taken, an immutable field changed, ports without names',
} as const;

/** One field problem, in Kubernetes' words ("spec.clusterIP", "provided IP is already allocated"). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A Service the registry will not store as it is: every problem found. */
export class ServiceAdmissionError extends DroverError {
  constructor(
    readonly service: string,
    readonly problems: FieldProblem[],
  ) {
    super('EREGISTRY_SERVICE_INVALID', `Service "${service}" is invalid: ${problems.map((p) => `${p.field}: ${p.message}`).join(', ')}`);
  }
}
