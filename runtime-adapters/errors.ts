import { DroverError } from '../protocol/errors.js';

/** Catalogue of the runtime errors. Each carries the runtime's own message. */
export const RUNTIME_ERROR_CODES = {
  unavailable: 'ERUNTIME_UNAVAILABLE',
  imageNotFound: 'EIMAGE_NOT_FOUND',
  imagePull: 'EIMAGE_PULL',
  containerNotFound: 'ECONTAINER_NOT_FOUND',
  containerExists: 'ECONTAINER_EXISTS',
  invalidSpec: 'EINVALID_SPEC',
  command: 'ERUNTIME_COMMAND',
  notFound: 'ERUNTIME_NOT_FOUND',
} as const;

export class RuntimeError extends DroverError {
  readonly runtime: string;
  constructor(code: string, runtime: string, message: string, options?: { cause?: unknown }) {
    super(code, `${runtime}: ${message}`, options);
    this.runtime = runtime;
  }
}
export class RuntimeUnavailableError extends RuntimeError {
  constructor(runtime: string, message: string, options?: { cause?: unknown }) {
    super(RUNTIME_ERROR_CODES.unavailable, runtime, message, options);
  }
}
export class ImageNotFoundError extends RuntimeError {
  readonly image: string;
  constructor(runtime: string, image: string, message: string, options?: { cause?: unknown }) {
    super(RUNTIME_ERROR_CODES.imageNotFound, runtime, message, options);
    this.image = image;
  }
}
export class ImagePullError extends RuntimeError {
  readonly image: string;
  constructor(runtime: string, image: string, message: string, options?: { cause?: unknown }) {
    super(RUNTIME_ERROR_CODES.imagePull, runtime, message, options);
    this.image = image;
  }
}
export class ContainerNotFoundError extends RuntimeError {
  constructor(runtime: string, id: string, options?: { cause?: unknown }) {
    super(RUNTIME_ERROR_CODES.containerNotFound, runtime, `container ${id} not found`, options);
  }
}
export class ContainerExistsError extends RuntimeError {
  constructor(runtime: string, name: string, options?: { cause?: unknown }) {
    super(RUNTIME_ERROR_CODES.containerExists, runtime, `container ${name} already exists`, options);
  }
}
export class InvalidSpecError extends RuntimeError {
  constructor(runtime: string, message: string, options?: { cause?: unknown }) {
    super(RUNTIME_ERROR_CODES.invalidSpec, runtime, message, options);
  }
}
/** A runtime CLI call failed for a reason none of the above names. */
export class RuntimeCommandError extends RuntimeError {
  readonly exitCode: number | undefined;
  constructor(runtime: string, message: string, exitCode: number | undefined, options?: { cause?: unknown }) {
    super(RUNTIME_ERROR_CODES.command, runtime, message, options);
    this.exitCode = exitCode;
  }
}

/** No container runtime answers on this machine; the message says how to get one. */
export class RuntimeNotFoundError extends RuntimeError {
  constructor(details: string, options?: { cause?: unknown }) {
    super(
      RUNTIME_ERROR_CODES.notFound,
      'detect',
      `no container runtime answers (${details}). Install and start one: ` +
        '`sudo apt-get install -y containerd runc && sudo systemctl enable --now containerd` ' +
        '(or Docker: `sudo apt-get install -y docker.io && sudo systemctl enable --now docker`), ' +
        'then pass --runtime containerd|docker',
      options,
    );
  }
}
