import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Reading the CRI log format the log driver (cri-logger.ts) writes: `<time> <stream> <P|F> <content>` per line, as
 * the kubelet reads containerd's logs. A `P` (partial) line continues on the next one without a newline.
 */
export interface CriLogLine {
  /** The time as written (RFC 3339 with nanoseconds), shown verbatim by `--timestamps`. */
  time: string;
  timeMs: number;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  content: string;
}

const CRI_LINE = /^(\S+) (stdout|stderr) ([PF]) (.*)$/s;

/** One line of the file (without its newline), or undefined when it is not in the CRI format. */
export function parseCriLine(line: string): CriLogLine | undefined {
  const m = CRI_LINE.exec(line);
  if (!m) return undefined;
  const timeMs = Date.parse(m[1]!);
  if (Number.isNaN(timeMs)) return undefined;
  return { time: m[1]!, timeMs, stream: m[2] as 'stdout' | 'stderr', partial: m[3] === 'P', content: m[4]! };
}

export interface CriReadOptions {
  /** Only lines written at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Prefix each line with its time and a space, as `kubectl logs --timestamps` shows them. */
  timestamps?: boolean;
}

/** The container's output from one CRI line: its content, a newline unless partial, the time first if asked. */
function render(line: CriLogLine, options: CriReadOptions, atLineStart: boolean): string {
  const prefix = options.timestamps && atLineStart ? `${line.time} ` : '';
  return `${prefix}${line.content}${line.partial ? '' : '\n'}`;
}

/**
 * A CRI log as the container wrote it: the last `tailLines` lines (counted in the file, as the kubelet does), then
 * `sinceMs` and `timestamps` applied. A line not in the format (a torn last write) is kept as it is.
 */
export function readCriLog(text: string, options: CriReadOptions & { tailLines?: number } = {}): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const chosen = options.tailLines === undefined ? lines : options.tailLines <= 0 ? [] : lines.slice(-options.tailLines);
  let out = '';
  let atLineStart = true;
  for (const raw of chosen) {
    const line = parseCriLine(raw);
    if (!line) {
      out += `${raw}\n`;
      atLineStart = true;
      continue;
    }
    if (options.sinceMs !== undefined && line.timeMs < options.sinceMs) continue;
    out += render(line, options, atLineStart);
    atLineStart = !line.partial;
  }
  return out;
}

/** The same over a stream of the file (`tail -F` of it): CRI lines in, the container's output out. */
export function criLogTransform(options: CriReadOptions = {}): Transform {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let atLineStart = true;
  const convert = (raw: string): string => {
    const line = parseCriLine(raw);
    if (!line) {
      atLineStart = true;
      return `${raw}\n`;
    }
    if (options.sinceMs !== undefined && line.timeMs < options.sinceMs) return '';
    const text = render(line, options, atLineStart);
    atLineStart = !line.partial;
    return text;
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      pending += decoder.write(chunk);
      const lines = pending.split('\n');
      pending = lines.pop()!;
      const out = lines.map(convert).join('');
      cb(null, out === '' ? undefined : out);
    },
    flush(cb) {
      pending += decoder.end();
      cb(null, pending === '' ? undefined : convert(pending));
    },
  });
}
