/**
 * A runtime CLI's event stream (`docker events`, `ctr events`) kept running: one long-lived child whose
 * stdout lines are handed over as they come; when it ends (daemon restarted, CLI killed) it is started
 * again after a back-off (1 s doubling to 30 s, reset once a stream has lived a minute). Stopping kills it.
 * The agent uses it to react to container exits at once instead of polling the runtime often.
 */
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import type { Logger } from '../protocol/logger.js';

export interface LineStreamOptions {
  file: string;
  args: readonly string[];
  onLine: (line: string) => void;
  /** Told each time a stream (re)starts, so a caller can catch up on what it missed. */
  onStart?: () => void;
  logger: Logger;
  minRestartMs?: number;
  maxRestartMs?: number;
}

export interface LineStream {
  stop(): void;
}

export function startLineStream(opts: LineStreamOptions): LineStream {
  const minRestart = opts.minRestartMs ?? 1000;
  const maxRestart = opts.maxRestartMs ?? 30_000;
  let delay = minRestart;
  let stopped = false;
  let child: ResultPromise | undefined;
  let timer: NodeJS.Timeout | undefined;

  function launch(): void {
    if (stopped) return;
    const began = Date.now();
    const proc = execa(opts.file, [...opts.args], { buffer: false, stdin: 'ignore', stderr: 'pipe', reject: false });
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    if (proc.stdout) createInterface({ input: proc.stdout }).on('line', (line) => opts.onLine(line));
    opts.onStart?.();
    void proc.then((result) => {
      child = undefined;
      if (stopped) return;
      if (Date.now() - began > 60_000) delay = minRestart;
      opts.logger.warn(
        { file: opts.file, exitCode: result.exitCode, stderr: stderr.trim() || undefined, restartInMs: delay },
        'runtime event stream ended; restarting it',
      );
      timer = setTimeout(launch, delay);
      timer.unref();
      delay = Math.min(delay * 2, maxRestart);
    });
  }

  launch();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      child?.kill('SIGTERM');
    },
  };
}
