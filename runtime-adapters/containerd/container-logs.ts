import { access, readFile } from 'node:fs/promises';
import { RuntimeCommandError } from '../errors.js';
import { tailLogFile, tailLogLines } from '../log-tail.js';
import type { LogStreamOptions } from '../runtime.js';
import type { StreamingProcess } from '../streaming-process.js';
import { criLogTransform, readCriLog } from './cri-log.js';
import { RUNTIME } from './ctr.js';
import type { ContainerStateStore } from './run-state.js';

/**
 * A container's output for `logs`: the CRI log the log driver writes (real per-line times), or the plain output.log
 * of a stdin/TTY container (task-console.ts writes it) or of a container an older agent started.
 */
export interface ContainerLogs {
  read(id: string, tailLines?: number): Promise<string>;
  /** `logs -f`: follow while the task with `pid` runs; `sinceMs` and `timestamps` from each line's own time. */
  stream(id: string, options: LogStreamOptions & { pid?: number }): Promise<StreamingProcess>;
}

export function createContainerLogs(states: ContainerStateStore): ContainerLogs {
  const exists = (path: string) => access(path).then(() => true, () => false);
  async function readText(path: string, id: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new RuntimeCommandError(RUNTIME, `cannot read logs of ${id}: ${(err as Error).message}`, undefined, { cause: err });
    }
  }
  return {
    async read(id, tailLines) {
      const cri = await readText(states.criLogPath(id), id);
      if (cri !== undefined) return readCriLog(cri, tailLines === undefined ? {} : { tailLines });
      return tailLogLines((await readText(states.logPath(id), id)) ?? '', tailLines);
    },
    async stream(id, options) {
      const cri = states.criLogPath(id);
      // the log driver makes container.log before the task starts; without it the output is plain (a stdin/TTY
      // container's, read by the adapter, or an older agent's)
      if (!(await exists(cri))) return tailLogFile(states.logPath(id), options);
      const { sinceMs, timestamps, ...tail } = options;
      const proc = await tailLogFile(cri, tail);
      const converted = proc.stdout.pipe(criLogTransform({ ...(sinceMs !== undefined ? { sinceMs } : {}), ...(timestamps ? { timestamps } : {}) }));
      return { ...proc, stdout: converted };
    },
  };
}
