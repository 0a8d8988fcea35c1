/** The CLI's error catalogue. runCli prints each as one `error: ...` line and exits 1. */
import { DroverError } from '../../protocol/errors.js';

export const CLI_ERROR_CODES = {
  usage: 'ECLI_USAGE',
  unreachable: 'ECLI_UNREACHABLE',
  server: 'ECLI_SERVER',
  timeout: 'ECLI_TIMEOUT',
  config: 'ECLI_CONFIG',
  child: 'ECLI_CHILD',
  rollout: 'ECLI_ROLLOUT',
} as const;

/** The user asked for something that cannot work (bad flag value, unknown kind). */
export class UsageError extends DroverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(CLI_ERROR_CODES.usage, message, options);
  }
}

/** The hub could not be reached at all. */
export class ServerUnreachableError extends DroverError {
  constructor(readonly server: string, detail: string, hint: string, options?: { cause?: unknown }) {
    super(CLI_ERROR_CODES.unreachable, `cannot reach the Drover hub at ${server} (${detail}). ${hint}`, options);
  }
}

/** The hub answered with a Kubernetes Status failure. */
export class ServerError extends DroverError {
  constructor(
    readonly httpStatus: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(CLI_ERROR_CODES.server, message);
  }
}

export class TimeoutError extends DroverError {
  constructor(message: string) {
    super(CLI_ERROR_CODES.timeout, message);
  }
}

/** A rollout that cannot finish (progress deadline exceeded, object deleted while waiting). */
export class RolloutFailedError extends DroverError {
  constructor(message: string) {
    super(CLI_ERROR_CODES.rollout, message);
  }
}

export class ConfigError extends DroverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(CLI_ERROR_CODES.config, message, options);
  }
}

/** Not a failure to report: end the CLI with this exit code (e.g. the agent child's own code). */
export class ExitRequest extends DroverError {
  constructor(readonly exitCode: number) {
    super(CLI_ERROR_CODES.child, `exit ${exitCode}`);
  }
}
