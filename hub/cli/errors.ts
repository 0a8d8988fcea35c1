/** The CLI's error catalogue. runCli prints each as one `error: ...` line and exits 1. */
import { DroverError } from '../../protocol/errors.js';

/** Every code this area's errors carry, with what it means (listed in its README.md too). */
export const CLI_ERROR_CODES = {
  ECLI_USAGE: 'the user asked for something that cannot work (bad flag value, unknown kind)',
  ECLI_UNREACHABLE: 'the hub could not be reached at all',
  ECLI_SERVER: 'the hub answered with a Kubernetes Status failure',
  ECLI_TIMEOUT: 'a wait (--timeout, rollout status, delete) ran out',
  ECLI_CONFIG: 'the CLI config file, a kubeconfig (or the context, cluster, user, CA or token file it names) cannot be read or used',
  ECLI_CHILD: "not a failure: end the CLI with a child process's exit code",
  ECLI_ROLLOUT: 'a rollout that cannot finish (progress deadline exceeded, object deleted while waiting)',
} as const;

/** The user asked for something that cannot work (bad flag value, unknown kind). */
export class UsageError extends DroverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ECLI_USAGE', message, options);
  }
}

/** The hub could not be reached at all. */
export class ServerUnreachableError extends DroverError {
  constructor(readonly server: string, detail: string, hint: string, options?: { cause?: unknown }) {
    super('ECLI_UNREACHABLE', `cannot reach the Drover hub at ${server} (${detail}). ${hint}`, options);
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
    super('ECLI_SERVER', message);
  }
}

export class TimeoutError extends DroverError {
  constructor(message: string) {
    super('ECLI_TIMEOUT', message);
  }
}

/** A rollout that cannot finish (progress deadline exceeded, object deleted while waiting). */
export class RolloutFailedError extends DroverError {
  constructor(message: string) {
    super('ECLI_ROLLOUT', message);
  }
}

export class ConfigError extends DroverError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ECLI_CONFIG', message, options);
  }
}

/** Not a failure to report: end the CLI with this exit code (e.g. the agent child's own code). */
export class ExitRequest extends DroverError {
  constructor(readonly exitCode: number) {
    super('ECLI_CHILD', `exit ${exitCode}`);
  }
}
