/**
 * A runtime CLI run as a live process whose stdio the agent relays (exec and attach with stdin,
 * logs -f), rather than run to completion (process-runner.ts). Through execa like every other CLI
 * call, with an argument array.
 *
 * A TTY: `ctr tasks exec -t` and `docker exec -t` want a terminal on their own stdin, which the agent
 * (a service) has none of; util-linux `script -qfec CMD /dev/null` gives them one (a pseudo-terminal,
 * echo and line discipline as a terminal's), with the exit status passed through (-e) and nothing
 * logged (/dev/null). No native module needed. The size asked for when the stream opened is set on
 * it with `stty` before the CLI starts (later resizes are not passed on: `script` owns the pty).
 */
import { execa } from 'execa';
import type { Readable, Writable } from 'node:stream';

export interface StreamingProcess {
  /** The process' stdin (absent when it was not asked for). */
  readonly stdin?: Writable;
  readonly stdout: Readable;
  /** Absent with a TTY (the terminal merges stderr into stdout, as Kubernetes does). */
  readonly stderr?: Readable;
  /** The exit code (128 + signal when killed; 126 when it could not start). */
  readonly exited: Promise<number>;
  kill(): void;
}

export interface StreamingOptions {
  stdin: boolean;
  tty?: { width?: number; height?: number };
}

/** `a b'c` -> `'a' 'b'\''c'`: argv as one POSIX shell command line for `script -c`. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

export function startStreamingProcess(file: string, args: readonly string[], opts: StreamingOptions): StreamingProcess {
  let command = file;
  let argv = [...args];
  if (opts.tty) {
    const size = opts.tty.width && opts.tty.height ? `stty cols ${opts.tty.width} rows ${opts.tty.height} 2>/dev/null; ` : '';
    command = 'script';
    argv = ['-qfec', `${size}exec ${shellQuote([file, ...args])}`, '/dev/null'];
  }
  const child = execa(command, argv, {
    reject: false,
    buffer: false,
    stripFinalNewline: false,
    stdin: opts.stdin || opts.tty ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: opts.tty ? 'ignore' : 'pipe',
  });
  const exited = child.then((r) => {
    if (r.exitCode !== undefined) return r.exitCode;
    if (r.signal) return 128 + (SIGNALS[r.signal] ?? 0);
    return 126;
  });
  // a closed pipe on the process' stdin (it exited first) is not the agent's error
  child.stdin?.on('error', () => undefined);
  return {
    ...(child.stdin ? { stdin: child.stdin } : {}),
    stdout: child.stdout!,
    ...(child.stderr ? { stderr: child.stderr } : {}),
    exited,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
