/**
 * kubectl exec and attach as kubectl before 1.30 speaks them: a plain `Upgrade: SPDY/3.1` connection
 * (spdy-session.ts), protocol `v4.channel.k8s.io` (client-go remotecommand v4). The client opens one
 * SPDY stream per channel, named by its `streamtype` header: `error` (always), `stdin`, `stdout`,
 * `stderr` (as asked; no stderr with a TTY) and `resize` (with a TTY; a sequence of JSON objects
 * `{"Width":W,"Height":H}`). Once every expected stream is there (a TTY also waits a moment for the
 * first size, as stream-exec.ts does), the node stream opens; at its end stdout/stderr are FINed and the
 * error stream carries the v4 Status (execStatus: Success, or NonZeroExitCode with the ExitCode cause),
 * then FIN. The client's FIN on stdin is stdin's end.
 */
import type { Logger } from '../../protocol/logger.js';
import type { NodeStream, NodeStreams, StreamOpenRequest } from '../fleet/node-streams.js';
import { createSpdySession, RST_REFUSED_STREAM } from './spdy-session.js';
import { CHANNEL_STDERR, CHANNEL_STDIN, CHANNEL_STDOUT, execStatus, FIRST_RESIZE_WAIT_MS, parseResize, type ExecOptions } from './stream-exec.js';
import type { SpdyPipe } from './stream-port-forward.js';

/** The remotecommand protocol served over plain SPDY. */
export const SPDY_EXEC_PROTOCOL = 'v4.channel.k8s.io';

const STREAM_TYPES = ['error', 'stdin', 'stdout', 'stderr', 'resize'] as const;
type StreamType = (typeof STREAM_TYPES)[number];

export function serveSpdyExec(pipe: SpdyPipe, streams: NodeStreams, open: Omit<StreamOpenRequest, 'width' | 'height'>, options: ExecOptions, logger: Logger): void {
  const ids = new Map<StreamType, number>();
  /** The streams whose SYN_REPLY is out: nothing is sent on a stream before its reply. */
  const replied = new Set<StreamType>();
  const expected: StreamType[] = ['error', ...(options.stdin ? (['stdin'] as const) : []), ...(options.stdout ? (['stdout'] as const) : []), ...(options.stderr ? (['stderr'] as const) : []), ...(options.tty ? (['resize'] as const) : [])];
  let stream: NodeStream | undefined;
  let finished = false;
  let stdinDone = false;
  const earlyStdin: Buffer[] = [];
  let firstSize: { width: number; height: number } | undefined;
  let resizeText = '';
  let startTimer: NodeJS.Timeout | undefined;

  const spdy = createSpdySession({
    write: (bytes) => pipe.send(bytes),
    onStream(id, headers) {
      const type = headers.streamtype as StreamType | undefined;
      if (!type || !STREAM_TYPES.includes(type) || ids.has(type)) {
        spdy.reset(id, RST_REFUSED_STREAM);
        return;
      }
      ids.set(type, id);
      void spdy.reply(id).then(() => {
        replied.add(type);
        if (expected.every((t) => replied.has(t))) ready();
      });
    },
    onData(id, data) {
      if (id === ids.get('stdin')) {
        if (stream) stream.write(CHANNEL_STDIN, data);
        else earlyStdin.push(data);
      } else if (id === ids.get('resize')) {
        resizeText += data.toString('utf8');
        const lines = resizeText.split(/(?<=})\s*/);
        resizeText = lines.pop() ?? '';
        for (const line of lines) resized(Buffer.from(line));
      }
    },
    onFin(id) {
      if (id !== ids.get('stdin')) return;
      stdinDone = true;
      stream?.eof(CHANNEL_STDIN);
    },
    onReset(id) {
      if (id === ids.get('stdin') || id === ids.get('stdout')) stream?.close();
    },
    onError(err) {
      logger.debug({ err }, `${open.kind} SPDY session failed`);
      pipe.fail();
    },
  });

  function resized(json: Buffer): void {
    const size = parseResize(json);
    if (!size) return;
    if (stream) stream.resize(size.width, size.height);
    else if (!firstSize) {
      firstSize = size;
      if (expected.every((t) => replied.has(t))) start();
    }
  }

  function ready(): void {
    if (stream || finished || startTimer) return;
    if (options.tty && !firstSize) {
      startTimer = setTimeout(start, FIRST_RESIZE_WAIT_MS);
      startTimer.unref();
      return;
    }
    start();
  }

  function finish(status: Record<string, unknown>): void {
    if (finished) return;
    finished = true;
    clearTimeout(startTimer);
    for (const t of ['stdout', 'stderr'] as const) {
      const id = ids.get(t);
      if (id !== undefined) spdy.data(id, Buffer.alloc(0), true);
    }
    const errorId = ids.get('error');
    if (errorId !== undefined) spdy.data(errorId, Buffer.from(JSON.stringify(status)), true);
    // the client ends the connection once it has read the status; this is only the backstop
    setTimeout(() => pipe.fail(), 10_000).unref();
  }

  function start(): void {
    if (stream || finished) return;
    clearTimeout(startTimer);
    try {
      stream = streams.open(
        { ...open, ...(firstSize && options.tty ? { width: firstSize.width, height: firstSize.height } : {}) },
        {
          onData(channel, data, done) {
            const id = channel === CHANNEL_STDOUT ? ids.get('stdout') : channel === CHANNEL_STDERR ? ids.get('stderr') : undefined;
            if (id !== undefined && !finished) spdy.data(id, data);
            done();
          },
        },
      );
    } catch (err) {
      finish({ metadata: {}, status: 'Failure', message: (err as Error).message, reason: 'ServiceUnavailable', code: 503 });
      return;
    }
    const s = stream;
    s.ready.catch(() => undefined);
    void s.ended.then((end) => {
      logger.debug({ stream: s.id, ...end }, `${open.kind} SPDY stream ended`);
      finish(execStatus(end, open.argv));
    });
    for (const b of earlyStdin.splice(0)) s.write(CHANNEL_STDIN, b);
    if (stdinDone) s.eof(CHANNEL_STDIN);
  }

  pipe.onBytes((bytes) => spdy.feed(bytes));
  pipe.onClose(() => {
    finished = true;
    clearTimeout(startTimer);
    spdy.close();
    stream?.close();
  });
}
