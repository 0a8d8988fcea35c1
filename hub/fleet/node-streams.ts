/**
 * Byte streams between the hub and an agent over MQTT, for kubectl exec, attach, logs -f and
 * port-forward (hub/api/stream-*.ts relay them to the client). The hub opens a stream with an `open`
 * frame on drover/v1/nodes/NODE/streams; the agent answers `ready` (or `close` with its reason) and
 * then its frames on drover/v1/nodes/NODE/stream/ID. Each stream is one protocol/stream-channel.ts
 * endpoint: ordered, flow-controlled, closed from either side.
 *
 * Scoping: the broker's ACL keeps a node to its own stream topics; this module reads a frame only
 * when the stream was opened with that very node, so a node cannot write into another node's
 * stream, nor open one (streams are opened by the hub alone). A node that goes offline (its last
 * will) ends its streams; so does an agent that does not answer `open` within `readyTimeoutMs`.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../protocol/logger.js';
import { decodeMessage, encodeMessage, presenceMessageSchema, streamFrameSchema, type StreamFrame, type StreamKind } from '../../protocol/messages.js';
import { createStreamEndpoint, STREAM_WINDOW_BYTES, type StreamEnd, type StreamEndpoint } from '../../protocol/stream-channel.js';
import { parseTopic, topics } from '../../protocol/topics.js';
import type { Broker } from '../broker/broker.js';
import { NodeCommandsStoppedError, NodeNotConnectedError, StreamFailedError } from './errors.js';

export interface StreamOpenRequest {
  node: string;
  kind: StreamKind;
  namespace: string;
  pod: string;
  container?: string;
  argv?: string[];
  stdin?: boolean;
  tty?: boolean;
  width?: number;
  height?: number;
  follow?: boolean;
  tailLines?: number;
  sinceTime?: string;
  timestamps?: boolean;
  previous?: boolean;
  limitBytes?: number;
  port?: number;
}

export interface StreamHandlers {
  /** Bytes from the agent on `channel`; call `done` once they are passed on (written and drained). */
  onData(channel: number, data: Buffer, done: () => void): void;
  /** What was written to the agent waits no more. */
  onDrain?(): void;
}

export interface NodeStream {
  readonly id: string;
  /** Resolves once the agent has opened the stream; rejects with StreamFailedError if it could not. */
  readonly ready: Promise<void>;
  /** How the stream ended (never rejects). */
  readonly ended: Promise<StreamEnd>;
  /** Bytes to the agent (stdin, or a port's bytes); false: wait for onDrain. */
  write(channel: number, data: Buffer): boolean;
  eof(channel: number): void;
  resize(width: number, height: number): void;
  /** End the stream (the client went away). */
  close(): void;
}

export interface NodeStreams {
  /** Open a stream; throws NodeNotConnectedError / NodeCommandsStoppedError at once. */
  open(req: StreamOpenRequest, handlers: StreamHandlers): NodeStream;
}

export interface NodeStreamsService extends NodeStreams {
  start(): void;
  /** End every open stream. */
  stop(): void;
  openCount(): number;
}

export interface NodeStreamsOptions {
  broker: Pick<Broker, 'publish' | 'subscribe' | 'isNodeConnected'>;
  logger: Logger;
  clock?: () => number;
  /** How long the agent has to answer `open` (default 30 s). */
  readyTimeoutMs?: number;
  /** This side's receive window per stream (default STREAM_WINDOW_BYTES). */
  windowBytes?: number;
  newStreamId?: () => string;
}

export const DEFAULT_STREAM_READY_TIMEOUT_MS = 30_000;

interface Open {
  node: string;
  endpoint: StreamEndpoint;
}

export function createNodeStreams(opts: NodeStreamsOptions): NodeStreamsService {
  const log = opts.logger.child({ component: 'node-streams' });
  const clock = opts.clock ?? Date.now;
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_STREAM_READY_TIMEOUT_MS;
  const window = opts.windowBytes ?? STREAM_WINDOW_BYTES;
  const newStreamId = opts.newStreamId ?? (() => randomBytes(12).toString('base64url'));
  const streams = new Map<string, Open>();
  let unsubscribe: (() => void)[] = [];
  let started = false;

  function onFrame(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (parsed?.kind !== 'node' || parsed.channel !== 'stream' || !parsed.streamId) return;
    const open = streams.get(parsed.streamId);
    if (!open || open.node !== parsed.node) {
      log.debug({ topic }, 'frame of no open stream of this node dropped');
      return;
    }
    let frame: StreamFrame;
    try {
      frame = decodeMessage(streamFrameSchema, topic, payload);
    } catch (err) {
      log.warn({ err, topic }, 'malformed stream frame: ending the stream');
      open.endpoint.abort('malformed frame');
      return;
    }
    if (frame.stream !== parsed.streamId || frame.op === 'open') {
      open.endpoint.abort(frame.op === 'open' ? 'an agent may not open a stream' : 'frame of another stream');
      return;
    }
    open.endpoint.receive(frame);
  }

  function onPresence(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (parsed?.kind !== 'node') return;
    let offline = false;
    try {
      offline = decodeMessage(presenceMessageSchema, topic, payload).state === 'offline';
    } catch {
      return; // the presence handler logs it
    }
    if (!offline) return;
    for (const open of [...streams.values()]) if (open.node === parsed.node) open.endpoint.abort(`node "${parsed.node}" went offline`);
  }

  return {
    start() {
      if (started) return;
      started = true;
      unsubscribe = [opts.broker.subscribe(topics.allNodesUp('stream'), onFrame), opts.broker.subscribe(topics.allNodesUp('presence'), onPresence)];
    },
    stop() {
      started = false;
      for (const u of unsubscribe) u();
      unsubscribe = [];
      for (const open of [...streams.values()]) open.endpoint.abort('the hub is shutting down');
    },
    openCount: () => streams.size,
    open(req, handlers) {
      if (!started) throw new NodeCommandsStoppedError();
      if (!opts.broker.isNodeConnected(req.node)) throw new NodeNotConnectedError(req.node);
      const id = newStreamId();
      const downTopic = topics.nodeStreams(req.node);
      let resolveReady!: () => void;
      let rejectReady!: (err: Error) => void;
      const ready = new Promise<void>((res, rej) => {
        resolveReady = res;
        rejectReady = rej;
      });
      ready.catch(() => undefined);
      let resolveEnded!: (end: StreamEnd) => void;
      const ended = new Promise<StreamEnd>((res) => (resolveEnded = res));
      let isReady = false;
      const timer = setTimeout(() => {
        if (!isReady) endpoint.abort(`node "${req.node}" did not open the ${req.kind} stream within ${readyTimeoutMs / 1000}s`);
      }, readyTimeoutMs);
      timer.unref();
      const endpoint = createStreamEndpoint({
        id,
        now: clock,
        receiveWindow: window,
        send(frame) {
          opts.broker.publish(downTopic, encodeMessage(frame), { qos: 1 }).catch((err: unknown) => {
            log.warn({ err, stream: id, node: req.node }, 'could not publish a stream frame: ending the stream');
            endpoint.abort('could not reach the node');
          });
        },
        onData: handlers.onData,
        ...(handlers.onDrain ? { onDrain: handlers.onDrain } : {}),
        onReady() {
          isReady = true;
          clearTimeout(timer);
          resolveReady();
        },
        onClose(end) {
          clearTimeout(timer);
          streams.delete(id);
          if (!isReady) rejectReady(new StreamFailedError(req.node, end.error ?? `node "${req.node}" closed the ${req.kind} stream before it opened`));
          log.debug({ stream: id, node: req.node, kind: req.kind, ...end }, 'stream ended');
          resolveEnded(end);
        },
      });
      streams.set(id, { node: req.node, endpoint });
      const { node: _node, ...fields } = req;
      endpoint.control({ op: 'open', window, ...stripUndefined(fields) });
      log.debug({ stream: id, node: req.node, kind: req.kind, pod: `${req.namespace}/${req.pod}` }, 'stream opened');
      return {
        id,
        ready,
        ended,
        write: (channel, data) => endpoint.write(channel, data),
        eof: (channel) => endpoint.eof(channel),
        resize: (width, height) => endpoint.resize(width, height),
        close: () => endpoint.close(),
      };
    },
  };
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
