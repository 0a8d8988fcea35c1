/**
 * The log of a container's previous instance, for `kubectl logs --previous`: the kubelet keeps the last
 * terminated container; the agent removes a dead instance before it creates the next one, so it keeps
 * that instance's last output (at most PREVIOUS_LOG_MAX_BYTES, its end) as a file in the pod's directory,
 * `pods/<uid>/previous-logs/<container>.log` (0600), replaced at each restart and removed with the pod's
 * directory. Written by agent/pods (pod-worker.ts), read by agent/link (commands.ts, streams.ts).
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurable } from '../protocol/durable-file.js';
import type { Logger } from '../protocol/logger.js';
import { tailLogLines } from '../runtime-adapters/log-tail.js';
import type { ContainerRuntime } from '../runtime-adapters/runtime.js';

/** The end of the previous instance's output that is kept. */
export const PREVIOUS_LOG_MAX_BYTES = 1024 * 1024;

export function previousLogPath(dataDir: string, uid: string, container: string): string {
  return join(dataDir, 'pods', uid, 'previous-logs', `${container}.log`);
}

/** The last `max` bytes of `text`, cut at a line start when one is in the kept part. */
export function keepLogEnd(text: string, max = PREVIOUS_LOG_MAX_BYTES): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= max) return text;
  const end = bytes.subarray(bytes.length - max);
  const nl = end.indexOf(0x0a);
  return (nl >= 0 && nl < end.length - 1 ? end.subarray(nl + 1) : end).toString('utf8');
}

/**
 * Keep the output of instance `id` (about to be removed) as the container's previous log, replacing the
 * one before. When the runtime cannot give it the file is written empty (logged): there is a previous
 * instance, and the older file would show the wrong one.
 */
export async function keepPreviousLog(
  runtime: ContainerRuntime,
  dataDir: string,
  ref: { uid: string; container: string; id: string },
  log: Logger,
): Promise<void> {
  let text: string;
  try {
    text = await runtime.logs(ref.id);
  } catch (err) {
    log.warn({ err, podUid: ref.uid, container: ref.container, id: ref.id }, 'could not read the log of the exited instance; logs --previous will not have it');
    text = '';
  }
  await writeFileDurable(previousLogPath(dataDir, ref.uid, ref.container), keepLogEnd(text), { mode: 0o600 });
}

/** The previous instance's log (its last `tailLines` lines if given), or undefined when there is no previous instance. */
export async function readPreviousLog(dataDir: string, uid: string, container: string, tailLines?: number): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(previousLogPath(dataDir, uid, container), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return tailLogLines(text, tailLines);
}

/** Forget a container's previous log (the container left the pod's spec). */
export async function forgetPreviousLog(dataDir: string, uid: string, container: string): Promise<void> {
  await rm(previousLogPath(dataDir, uid, container), { force: true });
}
