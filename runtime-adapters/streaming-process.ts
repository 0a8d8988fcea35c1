/**
 * A runtime CLI run as a live process whose stdio the agent relays (exec and attach with stdin,
 * logs -f), rather than run to completion (process-runner.ts). Through execa like every other CLI
 * call, with an argument array.
 *
 * A TTY: `ctr tasks exec -t` and `docker exec -t` want a terminal on their own stdin, which the agent
 * (a service) has none of; util-linux `script -qfec CMD /dev/null` gives them one (a pseudo-terminal,
 * made raw and without echo, as the CLI makes it itself), with the exit status passed through (-e) and nothing
 * logged (/dev/null). No native module needed. The size asked for when the stream opened is set on
 * it with `stty` before the CLI starts; a later resize is `stty -F /dev/pts/N cols W rows H` on that
 * pseudo-terminal (found as the stdin of script's child), which makes the kernel send SIGWINCH to the CLI,
 * and both CLIs pass their terminal's new size on to the container's (ctr: containerd's task/exec resize;
 * docker: the Engine's exec/container resize).
 * The CLI's own messages (its stderr, not the container's, which the terminal carries) go to a pipe of
 * their own (fd 3 through `script`), so they do not land in the terminal's output: a real error ("executable
 * file not found") comes out as the stream's stderr; ctr's `resize pty` complaint when the process exited
 * before ctr's first resize (a command as quick as `tty`) is dropped.
 */
import { execa } from 'execa';
import { readFile, readlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeCommandError } from './errors.js';
import type { RuntimeName } from './runtime.js';

export interface StreamingProcess {
  /** The process' stdin (absent when it was not asked for). */
  readonly stdin?: Writable;
  readonly stdout: Readable;
  /** With a TTY, the CLI's own messages only (the terminal merges the container's stderr into stdout, as Kubernetes does). */
  readonly stderr?: Readable;
  /** The exit code (128 + signal when killed; 126 when it could not start). */
  readonly exited: Promise<number>;
  kill(): void;
  /** With a TTY: give the terminal a new size (rejects with a RuntimeCommandError when it cannot). */
  resize?(width: number, height: number): Promise<void>;
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

/** How long a resize waits for script's child to have become the CLI. */
const TERMINAL_WAIT_MS = 5000;

/**
 * The pseudo-terminal `script` (pid `scriptPid`) made, once its child has exec'd `cli`: the child's stdin,
 * /dev/pts/N. Waits for the child (a resize may come before it started); undefined when the process is gone.
 */
async function scriptTerminal(scriptPid: number, cli: string): Promise<string | undefined> {
  const comm = basename(cli).slice(0, 15);
  const deadline = Date.now() + TERMINAL_WAIT_MS;
  for (;;) {
    let children: string[];
    try {
      children = (await readFile(`/proc/${scriptPid}/task/${scriptPid}/children`, 'utf8')).split(/\s+/).filter(Boolean);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    for (const child of children) {
      const [name, tty] = await Promise.all([
        readFile(`/proc/${child}/comm`, 'utf8').then((c) => c.trim(), () => ''),
        readlink(`/proc/${child}/fd/0`).catch(() => ''),
      ]);
      if (name === comm && tty.startsWith('/dev/pts/')) return tty;
    }
    if (Date.now() > deadline) return undefined;
    await sleep(20);
  }
}

/** `stty -F TTY cols W rows H`: TIOCSWINSZ on the terminal, SIGWINCH to its foreground process. */
export async function setTerminalSize(runtime: RuntimeName, tty: string, width: number, height: number): Promise<void> {
  const r = await execa('stty', ['-F', tty, 'cols', String(width), 'rows', String(height)], { reject: false, timeout: 5000 });
  if (r.exitCode !== 0) throw new RuntimeCommandError(runtime, `cannot resize terminal ${tty}: ${r.stderr || r.shortMessage}`, r.exitCode);
}

export function startStreamingProcess(file: string, args: readonly string[], opts: StreamingOptions, runtime: RuntimeName = 'fake'): StreamingProcess {
  let command = file;
  let argv = [...args];
  if (opts.tty) {
    // raw and without echo from the start: the CLI makes its own terminal raw once it runs, and input that
    // arrives before that (kubectl's first keys) is not echoed twice
    const size = opts.tty.width && opts.tty.height ? ` cols ${opts.tty.width} rows ${opts.tty.height}` : '';
    const setup = `stty raw -echo${size} 2>/dev/null; `;
    command = 'script';
    argv = ['-qfec', `${setup}exec ${shellQuote([file, ...args])} 2>&3`, '/dev/null'];
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
  /** Resizes in order, only the newest of those waiting applied. */
  let resizing: Promise<void> = Promise.resolve();
  let wanted: { width: number; height: number } | undefined;
  const resize = (width: number, height: number): Promise<void> => {
    wanted = { width, height };
    resizing = resizing.then(async () => {
      const size = wanted;
      wanted = undefined;
      if (!size || child.pid === undefined) return;
      const tty = await scriptTerminal(child.pid, file);
      if (!tty) return; // the process ended: nothing to resize
      await setTerminalSize(runtime, tty, size.width, size.height);
    });
    return resizing;
  };
  return {
    ...(opts.tty ? { resize } : {}),
    ...(child.stdin ? { stdin: child.stdin } : {}),
    stdout: child.stdout!,
    ...(child.stderr ? { stderr: child.stderr } : cliMessages ? { stderr: cliMessages } : {}),
    exited,
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
