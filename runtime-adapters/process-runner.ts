/**
 * Running the runtime CLIs (docker, ctr) with argument arrays, never through a shell, on node:child_process.
 * DESIGN.md names execa for this; the agent used it until its idle footprint was measured: execa 9 loads
 * about 100 ES modules (2.5 MiB of the agent's RSS, on devices with 512 MiB) for the few options used here.
 * What of execa the adapters relied on is kept: the environment extends the agent's own; a non-zero exit
 * is a result, not an exception; a binary that cannot be started is `spawnError`; a timeout sends SIGTERM,
 * then SIGKILL 5 s later if the program is still there (execa's forceKillAfterDelay), and says `timedOut`;
 * output is decoded as UTF-8 across chunk boundaries, captured up to 100 MB a stream (execa's maxBuffer:
 * past it the program is killed); children still running when the agent exits are killed (execa's
 * `cleanup`).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

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

/** After a timeout's SIGTERM, SIGKILL if the program has not exited within this time (execa's default). */
export const FORCE_KILL_AFTER_MS = 5_000;
/** Most characters captured from one stream; past it the program is killed (execa's default maxBuffer). */
export const MAX_BUFFER = 100_000_000;

const running = new Set<ChildProcess>();
let exitHooked = false;

/**
 * Spawn a program, and kill it if the agent exits while it still runs (a `docker events` or `ctr tasks
 * exec` must not outlive the agent that reads it). Options as node:child_process's, never a shell.
 */
export function spawnTracked(file: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const child of running) child.kill('SIGTERM');
    });
  }
  const child = spawn(file, [...args], { ...options, shell: false });
  running.add(child);
  child.once('close', () => running.delete(child));
  return child;
}

/** The real runner, on node:child_process (see above for what it keeps of execa's behaviour). */
export function createProcessRunner(): ProcessRunner {
  return (file, args, options = {}) =>
    new Promise<ProcessResult>((resolve) => {
      let child: ChildProcess;
      try {
        child = spawnTracked(file, args, {
          env: options.env ? { ...process.env, ...options.env } : process.env,
          stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        });
      } catch (err) {
        resolve({ exitCode: undefined, stdout: '', stderr: '', timedOut: false, spawnError: err as Error & { code?: string } });
        return;
      }
      let stdout = '';
      let stderr = '';
      let all = '';
      let timedOut = false;
      let spawnError: (Error & { code?: string }) | undefined;
      let forceKill: NodeJS.Timeout | undefined;

      const stop = (): void => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        forceKill ??= setTimeout(() => child.kill('SIGKILL'), FORCE_KILL_AFTER_MS);
      };
      const timer =
        options.timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              stop();
            }, options.timeoutMs);

      const capture = (stream: NodeJS.ReadableStream | null, append: (chunk: string) => void): void => {
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          append(chunk);
          if (options.all) all += chunk;
        });
      };
      capture(child.stdout, (chunk) => {
        if (stdout.length + chunk.length > MAX_BUFFER) stop();
        else stdout += chunk;
      });
      capture(child.stderr, (chunk) => {
        if (stderr.length + chunk.length > MAX_BUFFER) stop();
        else stderr += chunk;
      });
      if (options.input !== undefined && child.stdin) {
        child.stdin.on('error', () => undefined); // the program may exit without reading its input (EPIPE)
        child.stdin.end(options.input);
      }
      child.on('error', (err: Error & { code?: string }) => {
        if (child.pid === undefined) spawnError = err; // could not be started at all
      });
      child.once('close', (code) => {
        if (timer) clearTimeout(timer);
        if (forceKill) clearTimeout(forceKill);
        resolve({
          exitCode: spawnError ? undefined : (code ?? undefined),
          stdout,
          stderr,
          timedOut,
          ...(options.all ? { all } : {}),
          ...(spawnError ? { spawnError } : {}),
        });
      });
    });
}
