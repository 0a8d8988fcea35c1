import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import type { LogStreamOptions } from './runtime.js';
import { startStreamingProcess, type StreamingProcess } from './streaming-process.js';

/** `logs(id, { tailLines })` over a container's whole output, for adapters that keep it as text. */
export function tailLogLines(text: string, tailLines: number | undefined): string {
  if (tailLines === undefined) return text;
  if (tailLines <= 0) return '';
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-tailLines).map((l) => `${l}\n`).join('');
}

/** Where a log file is tailed from, as `tail -n` reads it: the last N lines, or all (`+1`). */
function tailFrom(tailLines: number | undefined): string {
  return tailLines === undefined ? '+1' : String(tailLines);
}

/**
 * `logs -f` over a log file: `tail` (coreutils), following while process `pid` (the task) lives when `follow`. For
 * containerd's CRI log the caller converts the lines (containerd/container-logs.ts) and passes no `sinceMs` or
 * `timestamps`. A plain file (the output.log of a container an older agent started) has no per-line times, so `timestamps` stamps each line
 * with the time the agent read it, and `sinceMs` keeps either the whole file (it was written to since then) or only
 * what comes next (it was not).
 */
export async function tailLogFile(
  file: string,
  options: LogStreamOptions & { pid?: number },
): Promise<StreamingProcess> {
  let tailLines = options.tailLines;
  if (options.sinceMs !== undefined) {
    const mtime = await stat(file).then((s) => s.mtimeMs, () => 0);
    if (mtime < options.sinceMs) tailLines = 0;
  }
  const args = ['-n', tailFrom(tailLines), ...(options.follow ? ['-F', ...(options.pid ? [`--pid=${options.pid}`] : [])] : []), file];
  const proc = startStreamingProcess('tail', args, { stdin: false });
  if (!options.timestamps) return proc;
  const stamped = proc.stdout.pipe(stampLines(() => Date.now()));
  return { ...proc, stdout: stamped };
}

/** Prefix every line with `2006-01-02T15:04:05.000000000Z ` (RFC 3339 with nanoseconds, as the kubelet writes). */
export function stampLines(now: () => number): Transform {
  let atLineStart = true;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const stamp = Buffer.from(`${new Date(now()).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z')} `);
      const parts: Buffer[] = [];
      let from = 0;
      for (let i = 0; i < chunk.length; i++) {
        if (atLineStart) {
          parts.push(chunk.subarray(from, i), stamp);
          from = i;
          atLineStart = false;
        }
        if (chunk[i] === 0x0a) atLineStart = true;
      }
      parts.push(chunk.subarray(from));
      cb(null, Buffer.concat(parts));
    },
  });
}
