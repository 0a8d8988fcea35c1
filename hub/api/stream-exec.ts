/**
 * kubectl exec and attach over WebSocket, as kube-apiserver serves them to kubectl 1.30+: the
 * subprotocol `v5.channel.k8s.io` (or `v4.channel.k8s.io`), every binary message one channel byte and
 * its data: 0 stdin, 1 stdout, 2 stderr, 3 the status (a metav1.Status as JSON once the command
 * ended: Success, or NonZeroExitCode with the exit code in details.causes[reason=ExitCode]), 4
 * terminal resize (`{"Width":W,"Height":H}`), and in v5 255 "this channel is closed" (stdin's end).
 * The bytes travel to and from the agent on an MQTT stream (hub/fleet/node-streams.ts), paced by its
 * window: a client that sends faster than the agent takes it is not read (`ws.pause()`), an agent
 * that writes faster than the client reads waits for its acks.
 *
 * As the kubelet does, the server sends an empty message on the lowest output channel when the
 * connection is up; with a TTY, the first resize the client sends (at once) is waited for a moment
 * so the terminal has its size from the start.
 */
import type { WebSocket } from 'ws';
import type { NodeStream, NodeStreams, StreamOpenRequest } from '../fleet/node-streams.js';
import type { Logger } from '../../protocol/logger.js';

export const CHANNEL_STDIN = 0;
export const CHANNEL_STDOUT = 1;
export const CHANNEL_STDERR = 2;
export const CHANNEL_ERROR = 3;
export const CHANNEL_RESIZE = 4;
export const CHANNEL_CLOSE = 255;

/** The subprotocols served, best first. */
export const CHANNEL_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

/** How long a TTY exec waits for the client's first resize before it starts the command. */
export const FIRST_RESIZE_WAIT_MS = 1000;

export interface ExecOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** The v4 status of a finished command, as the kubelet writes it on channel 3. */
export function execStatus(end: { exitCode?: number; error?: string }, argv: readonly string[] | undefined): Record<string, unknown> {
  if (end.error) return { metadata: {}, status: 'Failure', message: end.error, reason: 'InternalError', code: 500 };
  if (end.exitCode === undefined || end.exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${(argv ?? []).join(' ')}], exit code ${end.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(end.exitCode) }] },
  };
}

/** One channel message: the channel byte, then the data. */
export function channelMessage(channel: number, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** A resize message's JSON, or undefined. */
export function parseResize(data: Buffer): { width: number; height: number } | undefined {
  try {
    const v = JSON.parse(data.toString('utf8')) as { Width?: unknown; Height?: unknown };
    const width = Number(v.Width);
    const height = Number(v.Height);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 65535 || height > 65535) return undefined;
    return { width, height };
  } catch {
    return undefined;
  }
}

/** Relay one upgraded connection to a stream opened with `open` (an exec or attach). */
export function serveChannelStream(ws: WebSocket, streams: NodeStreams, open: Omit<StreamOpenRequest, 'width' | 'height'>, options: ExecOptions, logger: Logger): void {
  const v5 = ws.protocol === 'v5.channel.k8s.io';
  let stream: NodeStream | undefined;
  let finished = false;
  /** What the client sent before the stream was open. */
  const early: Buffer[] = [];
  let firstSize: { width: number; height: number } | undefined;
  let startTimer: NodeJS.Timeout | undefined;

  function finish(status: Record<string, unknown>): void {
    if (finished) return;
    finished = true;
    clearTimeout(startTimer);
    if (ws.readyState === ws.OPEN) {
      ws.send(channelMessage(CHANNEL_ERROR, JSON.stringify(status)), () => ws.close(1000));
    }
  }

  function fromClient(message: Buffer): void {
    if (message.length === 0) return;
    const channel = message[0]!;
    const data = message.subarray(1);
    if (!stream) {
      if (channel === CHANNEL_RESIZE && !firstSize) {
        firstSize = parseResize(data);
        if (firstSize) start();
        return;
      }
      early.push(message);
      return;
    }
    if (channel === CHANNEL_STDIN && options.stdin) {
      if (!stream.write(CHANNEL_STDIN, Buffer.from(data))) ws.pause();
    } else if (channel === CHANNEL_RESIZE) {
      const size = parseResize(data);
      if (size) stream.resize(size.width, size.height);
    } else if (channel === CHANNEL_CLOSE && v5 && data[0] === CHANNEL_STDIN) {
      stream.eof(CHANNEL_STDIN);
    }
  }

  function start(): void {
    if (stream || finished) return;
    clearTimeout(startTimer);
    try {
      stream = streams.open(
        { ...open, ...(firstSize && options.tty ? { width: firstSize.width, height: firstSize.height } : {}) },
        {
          onData(channel, data, done) {
            if (ws.readyState !== ws.OPEN) return done();
            if ((channel === CHANNEL_STDOUT && !options.stdout) || (channel === CHANNEL_STDERR && !options.stderr)) return done();
            ws.send(channelMessage(channel, data), () => done());
          },
          onDrain: () => ws.resume(),
        },
      );
    } catch (err) {
      finish({ metadata: {}, status: 'Failure', message: (err as Error).message, reason: 'ServiceUnavailable', code: 503 });
      return;
    }
    const s = stream;
    s.ready.catch(() => undefined);
    void s.ended.then((end) => {
      logger.debug({ stream: s.id, ...end }, `${open.kind} stream ended`);
      finish(execStatus(end, open.argv));
    });
    for (const m of early.splice(0)) fromClient(m);
  }

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    fromClient(data);
  });
  ws.on('close', () => {
    finished = true;
    clearTimeout(startTimer);
    stream?.close();
  });
  ws.on('error', (err) => logger.debug({ err }, 'exec WebSocket error'));

  // as the kubelet: an empty message on the lowest channel the client reads says the connection is up
  ws.send(channelMessage(options.stdout ? CHANNEL_STDOUT : options.stderr ? CHANNEL_STDERR : CHANNEL_ERROR, Buffer.alloc(0)));
  if (options.tty) {
    startTimer = setTimeout(start, FIRST_RESIZE_WAIT_MS);
    startTimer.unref();
  } else {
    start();
  }
}
