/**
 * One end of a stream carried over MQTT (hub <-> agent), as a pure state machine: the caller hands
 * it the frames that arrive (`receive`) and gives it a `send` for the frames it makes; no I/O, no
 * timers. The same code runs in the hub (hub/fleet/node-streams.ts) and in the agent
 * (agent/link/streams.ts).
 *
 * - Ordered: every frame a side sends carries the next `seq` of its side; a duplicate (a QoS 1
 *   resend) is ignored, a gap (a frame lost: over a publish quota, across a reconnect) ends the
 *   stream with an error, as a torn byte stream cannot be repaired.
 * - Flow-controlled: a side sends at most `window` data bytes its peer has not acknowledged (the
 *   peer names its window: the hub in `open`, the agent in `ready`); the receiver acknowledges
 *   bytes once its consumer has taken them (`done`), in acks of at least a quarter window, so a fast
 *   producer never has more than one window per stream in the broker and the relays. `write` says
 *   false once a window's worth waits, and `onDrain` tells the producer to go on.
 * - Closed from either side: `close` goes after the data already written (an exec's exit code
 *   after its last output), `abort` at once; the peer's close ends this side too.
 */
import type { StreamFrame } from './messages.js';
import { PROTOCOL_VERSION } from './messages.js';
import { preciseTimestamp } from './time.js';

/** Data bytes in flight per stream and direction (each side's default window). */
export const STREAM_WINDOW_BYTES = 256 * 1024;
/** The largest data frame (bytes before base64): 32 KiB. */
export const MAX_STREAM_CHUNK_BYTES = 32 * 1024;

type Distribute<T> = T extends unknown ? Omit<T, 'v' | 'type' | 'sentAt' | 'stream' | 'seq'> : never;
/** A frame without its envelope, stream id and sequence number (the endpoint adds them). */
export type StreamFrameBody = Distribute<StreamFrame>;

export interface StreamEnd {
  exitCode?: number;
  error?: string;
  /** True when the peer ended the stream (its close frame), false when this side did. */
  byPeer: boolean;
}

export interface StreamEndpointOptions {
  id: string;
  send(frame: StreamFrame): void;
  /** For the frames' `sentAt`. */
  now: () => number;
  /** This side's receive window, sent to the peer by the caller (open or ready); default STREAM_WINDOW_BYTES. */
  receiveWindow?: number;
  /** What the peer may receive before its first ack, when already known (the agent reads it from `open`). */
  sendWindow?: number;
  /** Bytes of `channel`; call `done` once they are consumed (written on, drained), which returns their credit. */
  onData(channel: number, data: Buffer, done: () => void): void;
  onEof?(channel: number): void;
  onResize?(width: number, height: number): void;
  /** The peer's `ready` (hub side). */
  onReady?(): void;
  /** What was written waits no more (the producer may go on). */
  onDrain?(): void;
  /** Once, however the stream ended. */
  onClose(end: StreamEnd): void;
}

export interface StreamEndpoint {
  readonly id: string;
  readonly closed: boolean;
  /** Queue bytes on a channel; false once a window's worth waits to be sent (wait for onDrain). */
  write(channel: number, data: Buffer): boolean;
  /** The end of this side's input on `channel` (after what was written). */
  eof(channel: number): void;
  resize(width: number, height: number): void;
  /** Send a frame of this side's own at its turn (open, ready): no credit needed, in order. */
  control(body: StreamFrameBody): void;
  /** Close after what was written. */
  close(end?: { exitCode?: number; error?: string }): void;
  /** Close at once, dropping what waits. */
  abort(error: string): void;
  /** A frame of the peer's. */
  receive(frame: StreamFrame): void;
  /** Data bytes written but not yet sent. */
  queuedBytes(): number;
}

type Queued = { kind: 'data'; channel: number; data: Buffer } | { kind: 'control'; body: StreamFrameBody };

export function createStreamEndpoint(opts: StreamEndpointOptions): StreamEndpoint {
  const receiveWindow = opts.receiveWindow ?? STREAM_WINDOW_BYTES;
  const ackThreshold = Math.max(1, Math.floor(receiveWindow / 4));
  let sendWindow = opts.sendWindow ?? 0;
  let unacked = 0;
  let nextSeq = 0;
  let expectSeq = 0;
  let consumedUnacked = 0;
  let queued = 0;
  let closing = false;
  let closed = false;
  let wasFull = false;
  const queue: Queued[] = [];

  function emit(body: StreamFrameBody): void {
    opts.send({ v: PROTOCOL_VERSION, type: 'stream', sentAt: preciseTimestamp(opts.now()), stream: opts.id, seq: nextSeq++, ...body } as StreamFrame);
  }

  function finish(end: StreamEnd): void {
    if (closed) return;
    closed = true;
    queue.length = 0;
    queued = 0;
    opts.onClose(end);
  }

  function flush(): void {
    while (!closed && queue.length > 0) {
      const head = queue[0]!;
      if (head.kind === 'control') {
        queue.shift();
        emit(head.body);
        if (head.body.op === 'close') finish({ ...(head.body.exitCode !== undefined ? { exitCode: head.body.exitCode } : {}), ...(head.body.error ? { error: head.body.error } : {}), byPeer: false });
        continue;
      }
      const credit = sendWindow - unacked;
      if (credit <= 0) break;
      const n = Math.min(credit, MAX_STREAM_CHUNK_BYTES, head.data.length);
      const chunk = head.data.subarray(0, n);
      if (n === head.data.length) queue.shift();
      else head.data = head.data.subarray(n);
      unacked += n;
      queued -= n;
      emit({ op: 'data', channel: head.channel, data: chunk.toString('base64') });
    }
    if (wasFull && queued < sendWindowOrDefault() && !closed) {
      wasFull = false;
      opts.onDrain?.();
    }
  }

  function sendWindowOrDefault(): number {
    return sendWindow > 0 ? sendWindow : STREAM_WINDOW_BYTES;
  }

  function consumed(n: number): void {
    if (closed) return;
    consumedUnacked += n;
    if (consumedUnacked >= ackThreshold) {
      const bytes = consumedUnacked;
      consumedUnacked = 0;
      emit({ op: 'ack', bytes });
    }
  }

  return {
    id: opts.id,
    get closed() {
      return closed;
    },
    write(channel, data) {
      if (closed || closing) return false;
      if (data.length > 0) {
        queue.push({ kind: 'data', channel, data });
        queued += data.length;
        flush();
      }
      const room = queued < sendWindowOrDefault();
      if (!room) wasFull = true;
      return room;
    },
    eof(channel) {
      if (closed || closing) return;
      queue.push({ kind: 'control', body: { op: 'eof', channel } });
      flush();
    },
    resize(width, height) {
      if (closed || closing) return;
      emit({ op: 'resize', width, height });
    },
    control(body) {
      if (closed || closing) return;
      queue.push({ kind: 'control', body });
      flush();
    },
    close(end = {}) {
      if (closed || closing) return;
      closing = true;
      queue.push({ kind: 'control', body: { op: 'close', ...(end.exitCode !== undefined ? { exitCode: end.exitCode } : {}), ...(end.error ? { error: end.error } : {}) } });
      flush();
    },
    abort(error) {
      if (closed) return;
      emit({ op: 'close', error });
      finish({ error, byPeer: false });
    },
    receive(frame) {
      if (closed) return;
      if (frame.seq < expectSeq) return; // a resend of what was already taken
      if (frame.seq > expectSeq) {
        const error = `stream ${opts.id}: frames ${expectSeq} to ${frame.seq - 1} were lost`;
        emit({ op: 'close', error });
        finish({ error, byPeer: false });
        return;
      }
      expectSeq++;
      switch (frame.op) {
        case 'open':
          sendWindow = frame.window;
          flush();
          return;
        case 'ready':
          sendWindow = frame.window;
          opts.onReady?.();
          flush();
          return;
        case 'ack':
          unacked = Math.max(0, unacked - frame.bytes);
          flush();
          return;
        case 'data': {
          const data = Buffer.from(frame.data, 'base64');
          let taken = false;
          opts.onData(frame.channel, data, () => {
            if (taken) return;
            taken = true;
            consumed(data.length);
          });
          return;
        }
        case 'eof':
          opts.onEof?.(frame.channel);
          return;
        case 'resize':
          opts.onResize?.(frame.width, frame.height);
          return;
        case 'close':
          finish({ ...(frame.exitCode !== undefined ? { exitCode: frame.exitCode } : {}), ...(frame.error ? { error: frame.error } : {}), byPeer: true });
          return;
      }
    },
    queuedBytes: () => queued,
  };
}
