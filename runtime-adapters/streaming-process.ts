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
 * The CLI's own messages (its stderr, not the container's, which the terminal carries) go to a pipe of
 * their own (fd 3 through `script`), so they do not land in the terminal's output: a real error ("executable
 * file not found") comes out as the stream's stderr; ctr's `resize pty` complaint when the process exited
 * before ctr's first resize (a command as quick as `tty`) is dropped.
 */
import { execa } from 'execa';
import { Transform, type Readable, type Writable } from 'node:stream';

export interface StreamingProcess {
  /** The process' stdin (absent when it was not asked for). */
  readonly stdin?: Writable;
  readonly stdout: Readable;
  /** With a TTY, the CLI's own messages only (the terminal merges the container's stderr into stdout, as Kubernetes does). */
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

/** Line by line, the CLI messages minus ctr's `resize pty` error (a process gone before ctr's first resize). */
function dropResizeComplaints(): Transform {
  let partial = '';
  const keep = (line: string): boolean => !/resize pty/.test(line);
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      const kept = lines.filter(keep);
      done(null, kept.length ? `${kept.join('\n')}\n` : undefined);
    },
    flush(done) {
      done(null, partial && keep(partial) ? partial : undefined);
    },
  });
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

export function startStreamingProcess(file: string, args: readonly string[], opts: StreamingOptions): StreamingProcess {
  let command = file;
  let argv = [...args];
  if (opts.tty) {
    const size = opts.tty.width && opts.tty.height ? `stty cols ${opts.tty.width} rows ${opts.tty.height} 2>/dev/null; ` : '';
    command = 'script';
    argv = ['-qfec', `${size}exec ${shellQuote([file, ...args])} 2>&3`, '/dev/null'];
  }
  const child = execa(command, argv, {
    reject: false,
    buffer: false,
    stripFinalNewline: false,
    // with a TTY: stdin and stdout the terminal (through script), the CLI's own stderr on fd 3
    stdio: opts.tty ? ['pipe', 'pipe', 'ignore', 'pipe'] : [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const cliMessages = opts.tty ? (child.stdio[3] as Readable).pipe(dropResizeComplaints()) : undefined;
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
    ...(child.stderr ? { stderr: child.stderr } : cliMessages ? { stderr: cliMessages } : {}),
    exited,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
