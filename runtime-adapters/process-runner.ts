import { execa } from 'execa';

/** What a runtime CLI call returned. A non-zero exit is a result, not an exception. */
export interface ProcessResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as written; only when RunOptions.all was set. */
  all?: string;
  /** Set when the binary could not be spawned at all (e.g. ENOENT). */
  spawnError?: Error & { code?: string };
  timedOut: boolean;
}

export interface RunOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  input?: string;
  /** Also capture stdout and stderr interleaved in `all`. */
  all?: boolean;
}

/** Runs a program with an argument array (never through a shell). Swappable in tests. */
export type ProcessRunner = (file: string, args: readonly string[], options?: RunOptions) => Promise<ProcessResult>;

/** The real runner: execa with reject disabled, so callers map exit codes to typed errors. */
export function createExecaRunner(): ProcessRunner {
  return async (file, args, options = {}) => {
    const result = await execa(file, [...args], {
      reject: false,
      stripFinalNewline: false,
      env: options.env,
      timeout: options.timeoutMs,
      all: options.all ?? false,
      ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    });
    const spawnError =
      result.failed && result.exitCode === undefined && !result.timedOut && !result.isTerminated
        ? (result.cause as (Error & { code?: string }) | undefined)
        : undefined;
    return {
      exitCode: result.exitCode,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      timedOut: result.timedOut,
      ...(options.all ? { all: String(result.all ?? '') } : {}),
      ...(spawnError ? { spawnError } : {}),
    };
  };
}
