/**
 * Streams the hub opens with this node (kubectl exec, attach, logs -f, port-forward), frames on
 * drover/v1/nodes/<name>/streams in, drover/v1/nodes/<name>/stream/<id> out; each one a
 * protocol/stream-channel.ts endpoint (ordered, flow-controlled, closed from either side).
 *
 * - exec: the runtime's execStream (ctr tasks exec / docker exec, stdin piped, a pseudo-terminal for
 *   a TTY): stdin on channel 0, stdout 1, stderr 2, the exit code in the close frame.
 * - attach: to a container made with `stdin` or `tty`, the runtime's attachStream (docker attach; on
 *   containerd the task's own FIFOs): its output from now on, stdin on channel 0 when the container has
 *   one, resizes of its terminal; the stream ends when the container's process does. To any other
 *   container: its output from now on (channel 1) until it exits; it has no stdin, input is dropped.
 * - resize (exec and attach with a TTY): the process' `resize` (runtime-adapters/streaming-process.ts).
 * - logs: the runtime's logStream (tail, since, timestamps, follow), cut at limitBytes; with previous,
 *   the kept log of the container's previous instance (agent/previous-logs.ts: tail and limitBytes; it
 *   has no times, so since and timestamps are not applied), then the end (that instance cannot write more).
 * - portForward: a TCP connection from the agent to the pod's IP and port, both ways on channel 1.
 *
 * What a node may open is what the hub asks (the hub authorizes the user; the agent only ever
 * touches its own Drover containers). Frames leave paced below the broker's stream quota
 * (hub/broker/publish-quota.ts), so the broker never drops one (a drop ends the stream). At most
 * `maxStreams` at once; more are refused. A reconnect ends every stream (frames may have been lost).
 */
import { connect, type Socket } from 'node:net';
import { DroverError } from '../../protocol/errors.js';
import type { Logger } from '../../protocol/logger.js';
import { decodeMessage, streamFrameSchema, type StreamFrame } from '../../protocol/messages.js';
import { createStreamEndpoint, STREAM_WINDOW_BYTES, type StreamEndpoint } from '../../protocol/stream-channel.js';
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import { createTokenBucket } from '../../protocol/token-bucket.js';
import { topics } from '../../protocol/topics.js';
import type { ContainerRuntime } from '../../runtime-adapters/runtime.js';
import type { StreamingProcess } from '../../runtime-adapters/streaming-process.js';
import { podNamespace, type DesiredSet } from '../desired-set.js';
import { ContainerNotRunningError } from '../errors.js';
import { containerFinder, previousLogReader } from './pod-container.js';

export const DEFAULT_MAX_STREAMS = 16;
/** Below the broker's stream quota (200 frames/s, 4 MiB/s, bursts 1000 and 16 MiB). */
export const STREAM_PACE = { framesPerSecond: 150, frameBurst: 500, bytesPerSecond: 3 * 1024 * 1024, byteBurst: 8 * 1024 * 1024 };

export interface StreamHandlerOptions {
  nodeName: string;
  runtime: ContainerRuntime;
  desired: () => DesiredSet | undefined;
  /** Publish one frame (QoS 1); called in order. */
  publish: (topic: string, frame: StreamFrame) => Promise<void>;
  logger: Logger;
  clock?: () => number;
  maxStreams?: number;
  /** The pod's IP on the pod network, by pod uid (port-forward dials it); without one, the container's own address. */
  podIP?: (podUid: string) => string | undefined;
  /** The agent's data dir, where previous instances' logs are kept (`logs --previous`); without it there are none. */
  dataDir?: string | undefined;
}

export interface StreamHandler {
  handle(topic: string, payload: Buffer | string): void;
  /** End every stream (a reconnect, the agent stopping). */
  closeAll(reason: string): void;
  openCount(): number;
}

type OpenFrame = Extract<StreamFrame, { op: 'open' }>;

/** One ordered queue of frames for every stream, let out as the pace allows. */
function createPacer(send: (topic: string, frame: StreamFrame) => void, clock: () => number) {
  const frames = createTokenBucket({ capacity: STREAM_PACE.frameBurst, ratePerSecond: STREAM_PACE.framesPerSecond, now: clock() });
  const bytes = createTokenBucket({ capacity: STREAM_PACE.byteBurst, ratePerSecond: STREAM_PACE.bytesPerSecond, now: clock() });
  const waiting: { topic: string; frame: StreamFrame; size: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  function drain(): void {
    timer = undefined;
    while (waiting.length > 0) {
      const head = waiting[0]!;
      const now = clock();
      if (frames.level(now) < 1 || bytes.level(now) < Math.min(head.size, STREAM_PACE.byteBurst)) {
        timer = setTimeout(drain, 10);
        return;
      }
      frames.take(1, now);
      bytes.take(Math.min(head.size, STREAM_PACE.byteBurst), now);
      waiting.shift();
      send(head.topic, head.frame);
    }
  }
  return (topic: string, frame: StreamFrame) => {
    waiting.push({ topic, frame, size: frame.op === 'data' ? frame.data.length : 100 });
    if (!timer) drain();
  };
}

export function createStreamHandler(opts: StreamHandlerOptions): StreamHandler {
  const log = opts.logger.child({ component: 'streams' });
  const clock = opts.clock ?? Date.now;
  const maxStreams = opts.maxStreams ?? DEFAULT_MAX_STREAMS;
  const findContainer = containerFinder(opts);
  const readPrevious = previousLogReader(opts);
  const streams = new Map<string, StreamEndpoint>();
  const pace = createPacer((topic, frame) => {
    opts.publish(topic, frame).catch((err: unknown) => {
      log.warn({ err, stream: frame.stream }, 'could not publish a stream frame: ending the stream');
      streams.get(frame.stream)?.abort('could not reach the hub');
    });
  }, clock);

  /** Relay a readable to a channel, paused while the stream's window is full. */
  function relay(endpoint: StreamEndpoint, channel: number, from: NodeJS.ReadableStream, paused: Set<NodeJS.ReadableStream>, limit?: { left: number; hit(): void }): Promise<void> {
    return new Promise((resolve) => {
      from.on('data', (chunk: Buffer) => {
        let data = chunk;
        if (limit) {
          if (limit.left <= 0) return;
          if (data.length >= limit.left) {
            data = data.subarray(0, limit.left);
            limit.left = 0;
            endpoint.write(channel, data);
            limit.hit();
            return;
          }
          limit.left -= data.length;
        }
        if (!endpoint.write(channel, data)) {
          from.pause();
          paused.add(from);
        }
      });
      from.on('end', resolve);
      from.on('close', resolve);
      from.on('error', () => resolve());
    });
  }

  async function start(open: OpenFrame, endpoint: StreamEndpoint, paused: Set<NodeJS.ReadableStream>, setProcess: (p: StreamingProcess | Socket) => void): Promise<void> {
    if (open.kind === 'logs' && open.previous) {
      const text = Buffer.from(await readPrevious(open, open.tailLines), 'utf8');
      endpoint.control({ op: 'ready', window: STREAM_WINDOW_BYTES });
      const out = open.limitBytes ? text.subarray(0, open.limitBytes) : text;
      if (out.length > 0) endpoint.write(1, out);
      endpoint.close({});
      return;
    }
    const info = await findContainer(open);
    const container = info.labels[RUNTIME_LABELS.container] ?? open.container ?? '';
    if (open.kind === 'portForward') {
      if (!open.port) throw new ContainerNotRunningError('port-forward needs a port');
      const uid = info.labels[RUNTIME_LABELS.podUid];
      const host = (uid ? opts.podIP?.(uid) : undefined) ?? info.ip ?? '127.0.0.1';
      const socket = connect({ host, port: open.port });
      setProcess(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', (err) => reject(new ContainerNotRunningError(`error forwarding port ${open.port} to pod ${open.pod}: ${err.message}`)));
      });
      endpoint.control({ op: 'ready', window: STREAM_WINDOW_BYTES });
      await relay(endpoint, 1, socket, paused);
      endpoint.close({});
      return;
    }
    if (open.kind === 'logs') {
      if (!opts.runtime.logStream) throw new ContainerNotRunningError(`the ${opts.runtime.name} runtime cannot stream logs`);
      const proc = await opts.runtime.logStream(info.id, {
        follow: Boolean(open.follow),
        ...(open.tailLines !== undefined ? { tailLines: open.tailLines } : {}),
        ...(open.sinceTime ? { sinceMs: Date.parse(open.sinceTime) } : {}),
        ...(open.timestamps ? { timestamps: true } : {}),
      });
      setProcess(proc);
      endpoint.control({ op: 'ready', window: STREAM_WINDOW_BYTES });
      const limit = open.limitBytes ? { left: open.limitBytes, hit: () => proc.kill() } : undefined;
      await Promise.all([relay(endpoint, 1, proc.stdout, paused, limit), ...(proc.stderr ? [relay(endpoint, 1, proc.stderr, paused, limit)] : [])]);
      await proc.exited;
      endpoint.close({});
      return;
    }
    if (info.state !== 'running') {
      throw new ContainerNotRunningError(`cannot ${open.kind} in container ${container} of pod ${open.pod}: it is not running (${info.state})`);
    }
    if (open.kind === 'attach') {
      const made = desiredContainer(open.namespace, open.pod, container);
      if ((made?.stdin || made?.tty) && opts.runtime.attachStream) {
        const proc = await opts.runtime.attachStream(info.id, {
          stdin: Boolean(open.stdin && made.stdin),
          ...(made.tty ? { tty: { ...(open.width ? { width: open.width } : {}), ...(open.height ? { height: open.height } : {}) } } : {}),
        });
        setProcess(proc);
        endpoint.control({ op: 'ready', window: STREAM_WINDOW_BYTES });
        await Promise.all([relay(endpoint, 1, proc.stdout, paused), ...(proc.stderr ? [relay(endpoint, 2, proc.stderr, paused)] : [])]);
        const exitCode = await proc.exited;
        log.info({ stream: open.stream, pod: `${open.namespace}/${open.pod}`, container, exitCode }, 'attach ended');
        // as the kubelet: an attach that ran to its end is a Success, whatever the process' exit code
        endpoint.close({});
        return;
      }
      if (!opts.runtime.logStream) throw new ContainerNotRunningError(`the ${opts.runtime.name} runtime cannot attach`);
      const proc = await opts.runtime.logStream(info.id, { follow: true, tailLines: 0 });
      setProcess(proc);
      endpoint.control({ op: 'ready', window: STREAM_WINDOW_BYTES });
      await Promise.all([relay(endpoint, 1, proc.stdout, paused), ...(proc.stderr ? [relay(endpoint, 2, proc.stderr, paused)] : [])]);
      await proc.exited;
      endpoint.close({});
      return;
    }
    if (!opts.runtime.execStream) throw new ContainerNotRunningError(`the ${opts.runtime.name} runtime cannot stream exec`);
    const proc = await opts.runtime.execStream(info.id, open.argv ?? ['sh'], {
      stdin: Boolean(open.stdin),
      ...(open.tty ? { tty: { ...(open.width ? { width: open.width } : {}), ...(open.height ? { height: open.height } : {}) } } : {}),
    });
    setProcess(proc);
    endpoint.control({ op: 'ready', window: STREAM_WINDOW_BYTES });
    await Promise.all([relay(endpoint, 1, proc.stdout, paused), ...(proc.stderr ? [relay(endpoint, 2, proc.stderr, paused)] : [])]);
    const exitCode = await proc.exited;
    log.info({ stream: open.stream, pod: `${open.namespace}/${open.pod}`, container, argv0: open.argv?.[0], exitCode }, 'exec ended');
    endpoint.close({ exitCode });
  }

  /** The container as the pod in the desired set declares it (stdin, tty). */
  function desiredContainer(namespace: string, pod: string, name: string) {
    const p = opts.desired()?.pods.find((d) => d.metadata.name === pod && podNamespace(d) === namespace && !d.metadata.deletionTimestamp);
    return p?.spec.containers.find((c) => c.name === name);
  }

  function onOpen(open: OpenFrame): void {
    if (streams.has(open.stream)) return; // a resend of the open
    const topic = topics.nodeStream(opts.nodeName, open.stream);
    const paused = new Set<NodeJS.ReadableStream>();
    let proc: StreamingProcess | Socket | undefined;
    let pendingSize: { width: number; height: number } | undefined;
    const resize = (width: number, height: number): void => {
      if (proc === undefined || !('exited' in proc) || !proc.resize) return;
      proc.resize(width, height).catch((err: unknown) => log.warn({ err, stream: open.stream, width, height }, 'could not resize the terminal'));
    };
    const input = (): NodeJS.WritableStream | undefined => (proc === undefined ? undefined : 'exited' in proc ? proc.stdin : proc);
    const endpoint = createStreamEndpoint({
      id: open.stream,
      now: clock,
      send: (frame) => pace(topic, frame),
      onData(channel, data, done) {
        const to = input();
        const wanted = ((open.kind === 'exec' || open.kind === 'attach') && channel === 0) || (open.kind === 'portForward' && channel === 1);
        if (!to || !wanted) return done();
        if (to.write(data)) done();
        else to.once('drain', done);
      },
      onEof(channel) {
        if (((open.kind === 'exec' || open.kind === 'attach') && channel === 0) || open.kind === 'portForward') input()?.end();
      },
      onResize(width, height) {
        // one that comes before the process is there (kubectl attach sends the size + 1, then the size, at once) waits for it
        if (proc === undefined) pendingSize = { width, height };
        else resize(width, height);
      },
      onDrain() {
        for (const r of paused) r.resume();
        paused.clear();
      },
      onClose(end) {
        streams.delete(open.stream);
        if (proc) {
          if ('exited' in proc) proc.kill();
          else proc.destroy();
        }
        if (end.byPeer || end.error) log.debug({ stream: open.stream, ...end }, 'stream ended');
      },
    });
    endpoint.receive(open);
    if (streams.size >= maxStreams) {
      endpoint.close({ error: `node ${opts.nodeName} has ${maxStreams} streams open already` });
      return;
    }
    streams.set(open.stream, endpoint);
    const setProcess = (p: StreamingProcess | Socket): void => {
      proc = p;
      if (pendingSize) resize(pendingSize.width, pendingSize.height);
      pendingSize = undefined;
    };
    start(open, endpoint, paused, setProcess).catch((err: unknown) => {
      if (err instanceof DroverError) log.info({ stream: open.stream, kind: open.kind, code: err.code, error: err.message }, 'stream refused');
      else log.warn({ err, stream: open.stream, kind: open.kind }, 'stream failed');
      endpoint.close({ error: (err as Error).message });
    });
  }

  return {
    handle(topic, payload) {
      let frame: StreamFrame;
      try {
        frame = decodeMessage(streamFrameSchema, topic, payload);
      } catch (err) {
        log.warn({ err, topic }, 'dropping a malformed stream frame');
        return;
      }
      if (frame.op === 'open') return onOpen(frame);
      streams.get(frame.stream)?.receive(frame);
    },
    closeAll(reason) {
      for (const endpoint of [...streams.values()]) endpoint.abort(reason);
    },
    openCount: () => streams.size,
  };
}
