import { DroverError } from '../protocol/errors.js';

/**
 * The runtime errors' catalogue: every error an adapter raises on purpose is a RuntimeError with one of
 * these codes (`ERUNTIME_<WHAT>`), each with a line saying what it means, and carries the runtime's own
 * message. test/runtime-adapters/errors.test.ts checks that every code is used, documented in
 * runtime-adapters/README.md and follows the style.
 */
export const RUNTIME_ERROR_CODES = {
  ERUNTIME_UNAVAILABLE: "the runtime's CLI cannot run or its daemon does not answer",
  ERUNTIME_IMAGE_NOT_FOUND: 'the image is not present (and the pull policy, or the call, does not pull)',
  ERUNTIME_IMAGE_PULL: 'pulling the image failed',
  ERUNTIME_CONTAINER_NOT_FOUND: 'no container with this id',
  ERUNTIME_CONTAINER_EXISTS: 'a container with this name exists already',
  ERUNTIME_INVALID_SPEC: 'the container spec (or exec argv) cannot be run as given',
  ERUNTIME_RUN_AS_ROOT: 'the container has runAsNonRoot and would run as root (the kubelet\'s CreateContainerConfigError)',
  ERUNTIME_COMMAND: 'a runtime CLI call failed for a reason none of the other codes names',
  ERUNTIME_NOT_FOUND: 'no container runtime answers on this machine (detection)',
} as const;

export type RuntimeErrorCode = keyof typeof RUNTIME_ERROR_CODES;

/** An error an adapter raises on purpose: its code is from RUNTIME_ERROR_CODES; `runtime` is the adapter's name. */
export class RuntimeError extends DroverError {
  declare readonly code: RuntimeErrorCode;
  readonly runtime: string;
  constructor(code: RuntimeErrorCode, runtime: string, message: string, options?: { cause?: unknown }) {
    super(code, `${runtime}: ${message}`, options);
    this.runtime = runtime;
  }
}
export class RuntimeUnavailableError extends RuntimeError {
  constructor(runtime: string, message: string, options?: { cause?: unknown }) {
    super('ERUNTIME_UNAVAILABLE', runtime, message, options);
  }
}
export class ImageNotFoundError extends RuntimeError {
  readonly image: string;
  constructor(runtime: string, image: string, message: string, options?: { cause?: unknown }) {
    super('ERUNTIME_IMAGE_NOT_FOUND', runtime, message, options);
    this.image = image;
  }
}
export class ImagePullError extends RuntimeError {
  readonly image: string;
  constructor(runtime: string, image: string, message: string, options?: { cause?: unknown }) {
    super('ERUNTIME_IMAGE_PULL', runtime, message, options);
    this.image = image;
  }
}
export class ContainerNotFoundError extends RuntimeError {
  constructor(runtime: string, id: string, options?: { cause?: unknown }) {
    super('ERUNTIME_CONTAINER_NOT_FOUND', runtime, `container ${id} not found`, options);
  }
}
export class ContainerExistsError extends RuntimeError {
  constructor(runtime: string, name: string, options?: { cause?: unknown }) {
    super('ERUNTIME_CONTAINER_EXISTS', runtime, `container ${name} already exists`, options);
  }
}
export class InvalidSpecError extends RuntimeError {
  constructor(runtime: string, message: string, options?: { cause?: unknown }) {
    super('ERUNTIME_INVALID_SPEC', runtime, message, options);
  }
}
/**
 * runAsNonRoot and the container would run as uid 0 (its runAsUser, or the image's user). The message is the
 * kubelet's, without the "(pod: ..., container: ...)" the agent adds.
 */
export class RunAsRootError extends RuntimeError {
  readonly reason: string;
  constructor(runtime: string, reason: string) {
    super('ERUNTIME_RUN_AS_ROOT', runtime, reason);
    this.reason = reason;
  }
}
/** A runtime CLI call failed for a reason none of the above names. */
export class RuntimeCommandError extends RuntimeError {
  readonly exitCode: number | undefined;
  constructor(runtime: string, message: string, exitCode: number | undefined, options?: { cause?: unknown }) {
    super('ERUNTIME_COMMAND', runtime, message, options);
    this.exitCode = exitCode;
  }
}

/** No container runtime answers on this machine; the message says how to get one. */
export class RuntimeNotFoundError extends RuntimeError {
  constructor(details: string, options?: { cause?: unknown }) {
    super(
      'ERUNTIME_NOT_FOUND',
      'detect',
      `no container runtime answers (${details}). Install and start one: ` +
        '`sudo apt-get install -y containerd runc && sudo systemctl enable --now containerd` ' +
        '(or Docker: `sudo apt-get install -y docker.io && sudo systemctl enable --now docker`), ' +
        'then pass --runtime containerd|docker',
      options,
    );
  }
}
