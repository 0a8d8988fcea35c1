/**
 * The stdio of a containerd task made with stdin or a TTY (Kubernetes `stdin`, `tty`). Such a task is not
 * started with `--log-uri` (which gives it no stdin) but with FIFOs: `ctr tasks start --detach --fifo-dir DIR`
 * makes `DIR/<random>/<id>-stdin`, `-stdout` (and `-stderr` without a TTY), hands them to the shim and exits;
 * the shim keeps them open (its own read end on the outputs, so a write never fails; its stdin stays open
 * across writers). The adapter then reads the outputs itself, for as long as the task runs: every byte is
 * appended to the container's output.log (so `logs` and `logs -f` work as for any container) and copied to
 * whoever is attached; an attach writes the stdin FIFO, resizes the terminal over containerd's API
 * (tasks-api.ts `ResizePty`), and with stdinOnce (without a TTY, as containerd's CRI does) closes the task's
 * stdin when its own input ends (`CloseIO`). The FIFOs are opened non-blocking as pipes (net.Socket), so
 * reading them holds no libuv thread. After an agent restart the reading starts again at the first call
 * that sees the task running (`list`, `inspect`, `attachStream`); what the task wrote meanwhile waited in the
 * FIFO (64 KiB; past that the task's writes block until the agent is back).
 */
import { constants, createWriteStream, open as openFd } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { Logger } from '../../protocol/logger.js';
import { RuntimeCommandError } from '../errors.js';
import type { StreamingOptions, StreamingProcess } from '../streaming-process.js';
import type { TaskStdio } from './container-labels.js';
import { RUNTIME } from './ctr.js';
import type { ContainerStateStore } from './run-state.js';
import type { TasksApi } from './tasks-api.js';

export interface TaskConsoles {
  /** The directory `ctr tasks start --fifo-dir` makes the task's FIFOs in, emptied and made again. */
  prepare(id: string): Promise<string>;
  /** Read the task's outputs into its log (and to attachers) from now on; again for a task read already: nothing. */
  open(id: string, stdio: TaskStdio): Promise<void>;
  /** Attach to the task: its output from now on, its stdin, its terminal size. */
  attach(id: string, stdio: TaskStdio, options: StreamingOptions): Promise<StreamingProcess>;
  /** Stop reading (the container is being removed). */
  close(id: string): void;
}

interface Reader {
  attached: Set<PassThrough>;
  stdinPath: string;
  /** Resolves once the task's outputs ended (it exited). */
  done: Promise<void>;
  sockets: Socket[];
}

function openPipe(path: string, flags: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    openFd(path, flags | constants.O_NONBLOCK, (err, fd) => {
      if (err) reject(new RuntimeCommandError(RUNTIME, `cannot open the task's FIFO ${path}: ${err.message}`, undefined, { cause: err }));
      else resolve(new Socket({ fd, readable: (flags & constants.O_WRONLY) === 0, writable: (flags & constants.O_WRONLY) !== 0 }));
    });
  });
}

export function createTaskConsoles(deps: { states: ContainerStateStore; tasks: TasksApi; logger: Logger }): TaskConsoles {
  const { states, tasks, logger } = deps;
  const readers = new Map<string, Promise<Reader>>();
  const fifoRoot = (id: string) => join(states.dir(id), 'fifo');

  async function fifoSet(id: string): Promise<string> {
    const root = fifoRoot(id);
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const names = await readdir(join(root, entry.name));
      if (names.includes(`${id}-stdout`)) return join(root, entry.name);
    }
    throw new RuntimeCommandError(RUNTIME, `task ${id} has no FIFOs under ${root}`, undefined);
  }

  async function startReading(id: string, stdio: TaskStdio): Promise<Reader> {
    const dir = await fifoSet(id);
    const outputs = await Promise.all([`${id}-stdout`, ...(stdio.tty ? [] : [`${id}-stderr`])].map((name) => openPipe(join(dir, name), constants.O_RDONLY)));
    const logFile = createWriteStream(states.logPath(id), { flags: 'a' });
    logFile.on('error', (err) => logger.warn({ err, id }, 'cannot write the task output log'));
    const attached = new Set<PassThrough>();
    const done = Promise.all(
      outputs.map(
        (out) =>
          new Promise<void>((resolve) => {
            out.on('data', (chunk: Buffer) => {
              logFile.write(chunk);
              for (const a of attached) a.write(chunk);
            });
            out.on('error', (err) => {
              logger.warn({ err, id }, 'reading the task output failed');
              resolve();
            });
            out.on('close', () => resolve());
          }),
      ),
    ).then(() => {
      logFile.end();
      for (const a of attached) a.end();
      attached.clear();
      readers.delete(id);
    });
    logger.debug({ id, dir }, 'reading the task console');
    return { attached, stdinPath: join(dir, `${id}-stdin`), done, sockets: outputs };
  }

  function close(id: string): void {
    const reader = readers.get(id);
    readers.delete(id);
    // a reader that never started has nothing open (its error went to whoever opened it)
    void reader?.then(
      (r) => r.sockets.forEach((s) => s.destroy()),
      () => undefined,
    );
  }

  async function open(id: string, stdio: TaskStdio): Promise<Reader> {
    let reader = readers.get(id);
    if (!reader) {
      reader = startReading(id, stdio);
      readers.set(id, reader);
      reader.catch(() => readers.delete(id));
    }
    return reader;
  }

  return {
    async prepare(id) {
      const root = fifoRoot(id);
      close(id);
      await rm(root, { recursive: true, force: true });
      await mkdir(root, { recursive: true, mode: 0o700 });
      return root;
    },

    async open(id, stdio) {
      await open(id, stdio);
    },

    async attach(id, stdio, options) {
      const reader = await open(id, stdio);
      const stdout = new PassThrough();
      reader.attached.add(stdout);
      const stdin = options.stdin && stdio.stdin ? await openPipe(reader.stdinPath, constants.O_WRONLY) : undefined;
      let detach: () => void = () => undefined;
      const exited = new Promise<number>((resolve) => {
        detach = () => {
          reader.attached.delete(stdout);
          stdout.end();
          stdin?.destroy();
          resolve(0);
        };
        void reader.done.then(() => detach());
      });
      if (stdin) {
        stdin.on('error', (err) => logger.debug({ err, id }, 'attach stdin closed'));
        stdin.on('finish', () => {
          // stdinOnce: the first attach's end of input is the task's (not with a TTY, as containerd's CRI: kubectl#291)
          if (stdio.stdinOnce && !stdio.tty) tasks.closeStdin(id).catch((err: unknown) => logger.warn({ err, id }, 'cannot close the task stdin'));
        });
      }
      const resize = (width: number, height: number) => tasks.resizePty(id, width, height);
      if (stdio.tty && options.tty?.width && options.tty.height) await resize(options.tty.width, options.tty.height);
      return {
        ...(stdin ? { stdin } : {}),
        stdout,
        exited,
        kill: () => detach(),
        ...(stdio.tty ? { resize } : {}),
      };
    },

    close,
  };
}
