/**
 * A runtime's CLI (docker, ctr) run with its global flags through the ProcessRunner, as both real
 * adapters do: each call is logged at debug with env values redacted; a CLI that cannot be started, or
 * a daemon it cannot reach, is a RuntimeUnavailableError; any other result, a non-zero exit included, is
 * the adapter's to map. failed() makes a result a RuntimeCommandError carrying the CLI's own message.
 */
import type { Logger } from '../protocol/logger.js';
import { RuntimeCommandError, RuntimeUnavailableError } from './errors.js';
import type { ProcessResult, ProcessRunner, RunOptions } from './process-runner.js';
import { redactEnvArgs } from './redact-args.js';

export interface RuntimeCliOptions {
  /** The runtime's name in errors: "docker", "containerd". */
  runtime: string;
  /** The command name the debug log line carries: "docker", "ctr". */
  command: string;
  binary: string;
  globalArgs: readonly string[];
  /** Debian packages that provide the CLI, for the error when it is missing. */
  packages: string;
  /** The CLI's stderr says the daemon is out of reach. */
  isUnreachable: (stderr: string) => boolean;
  /** The CLI's own error message in its stderr. */
  errorText: (stderr: string) => string;
  run: ProcessRunner;
  logger: Logger;
}

export interface RuntimeCli {
  /** Run the CLI; throws only when it cannot run or the daemon does not answer. */
  run(args: string[], options?: RunOptions): Promise<ProcessResult>;
  failed(what: string, result: ProcessResult): RuntimeCommandError;
}

export function createRuntimeCli(opts: RuntimeCliOptions): RuntimeCli {
  const { runtime, binary, logger: log } = opts;
  return {
    async run(args, runOptions) {
      log.debug({ args: redactEnvArgs(args) }, opts.command);
      const result = await opts.run(binary, [...opts.globalArgs, ...args], runOptions);
      if (result.spawnError) {
        throw new RuntimeUnavailableError(
          runtime,
          `cannot run ${binary} (${result.spawnError.code ?? result.spawnError.message}); install it with \`apt-get install -y ${opts.packages}\``,
          { cause: result.spawnError },
        );
      }
      if (result.exitCode !== 0 && opts.isUnreachable(result.stderr)) throw new RuntimeUnavailableError(runtime, opts.errorText(result.stderr));
      return result;
    },
    failed(what, result) {
      return new RuntimeCommandError(runtime, `${what}: ${opts.errorText(result.stderr) || `exit code ${result.exitCode}`}`, result.exitCode);
    },
  };
}
