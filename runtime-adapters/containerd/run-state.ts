import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurable } from '../../protocol/durable-file.js';

/**
 * What ctr does not keep for us, per container: when the task started and how it ended. One directory per
 * container under STATE_DIR/NAMESPACE/ID holding state.json and container.log (the task's stdout+stderr in the CRI log format).
 */
export interface ContainerRunState {
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  reason?: string;
}

export interface ContainerStateStore {
  dir(id: string): string;
  /** The output of containers started before the CRI log driver: plain text, no times (read, never written now). */
  logPath(id: string): string;
  /** The task's output in the CRI log format, with each line's time (cri-logger.ts writes it). */
  criLogPath(id: string): string;
  read(id: string): Promise<ContainerRunState>;
  write(id: string, state: ContainerRunState): Promise<void>;
  remove(id: string): Promise<void>;
}

export function createContainerStateStore(root: string): ContainerStateStore {
  const dir = (id: string) => join(root, id);
  const statePath = (id: string) => join(dir(id), 'state.json');
  return {
    dir,
    logPath: (id) => join(dir(id), 'output.log'),
    criLogPath: (id) => join(dir(id), 'container.log'),
    async read(id) {
      try {
        return JSON.parse(await readFile(statePath(id), 'utf8')) as ContainerRunState;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
        throw err;
      }
    },
    async write(id, state) {
      // durably: a power cut must not leave a torn state.json (an exit code lost or unreadable)
      await writeFileDurable(statePath(id), JSON.stringify(state), { mode: 0o644, dirMode: 0o755 });
    },
    async remove(id) {
      await rm(dir(id), { recursive: true, force: true });
    },
  };
}
