/**
 * kubectl port-forward (1.31+): a WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io`, SPDY/3.1
 * tunnelled in its binary messages (spdy-session.ts). For each local connection kubectl opens two SPDY
 * streams with the same `requestid` and `port` headers: `streamtype: error` (the server writes a message
 * there if the port cannot be reached) and `streamtype: data` (the bytes). Each pair becomes one
 * `portForward` node stream (hub/fleet/node-streams.ts): the agent dials the pod's IP and port and relays.
 * The client's FIN on the data stream ends the agent's socket's write side; the agent's end FINs both.
 * kubectl before 1.30 speaks the same SPDY directly on the upgraded connection (`Upgrade: SPDY/3.1`,
 * `portforward.k8s.io`, stream-spdy-upgrade.ts): servePortForwardSession takes any byte pipe.
 */
import type { WebSocket } from 'ws';
import type { Logger } from '../../protocol/logger.js';
import type { NodeStream, NodeStreams } from '../fleet/node-streams.js';
import { createSpdySession, RST_REFUSED_STREAM } from './spdy-session.js';

export const PORT_FORWARD_PROTOCOL = 'SPDY/3.1+portforward.k8s.io';

interface Pair {
  port: number;
  data?: number;
  error?: number;
  stream?: NodeStream;
  /** Client bytes of the data stream before the node stream was open. */
  early: Buffer[];
  clientDone: boolean;
}

/** A byte pipe the SPDY session runs over. */
export interface SpdyPipe {
  send(bytes: Buffer): void;
  /** The session cannot go on. */
  fail(): void;
  onBytes(listener: (bytes: Buffer) => void): void;
  onClose(listener: () => void): void;
}

export type PortForwardTarget = { node: string; namespace: string; pod: string };

export function servePortForward(ws: WebSocket, streams: NodeStreams, target: PortForwardTarget, logger: Logger): void {
  ws.on('error', (err) => logger.debug({ err }, 'port-forward WebSocket error'));
  servePortForwardSession(
    {
      send: (bytes) => {
        if (ws.readyState === ws.OPEN) ws.send(bytes);
      },
      fail: () => ws.close(1011),
      onBytes: (listener) =>
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          if (isBinary) listener(data);
        }),
      onClose: (listener) => ws.on('close', listener),
    },
    streams,
    target,
    logger,
  );
}

export function servePortForwardSession(pipe: SpdyPipe, streams: NodeStreams, target: PortForwardTarget, logger: Logger): void {
  const pairs = new Map<string, Pair>();
  const byStream = new Map<number, Pair>();
  const spdy = createSpdySession({
    write: (bytes) => pipe.send(bytes),
    onStream(id, headers) {
      const port = Number(headers.port);
      const requestId = headers.requestid ?? String(id);
      if (!Number.isInteger(port) || port < 1 || port > 65535 || (headers.streamtype !== 'data' && headers.streamtype !== 'error')) {
        spdy.reset(id, RST_REFUSED_STREAM);
        return;
      }
      let pair = pairs.get(requestId);
      if (!pair) {
        pair = { port, early: [], clientDone: false };
        pairs.set(requestId, pair);
      }
      pair[headers.streamtype] = id;
      byStream.set(id, pair);
      void spdy.reply(id).then(() => {
        if (pair.data !== undefined && pair.error !== undefined && !pair.stream) open(requestId, pair);
      });
    },
    onData(id, data) {
      const pair = byStream.get(id);
      if (!pair || id !== pair.data) return;
      if (pair.stream) pair.stream.write(1, data);
      else pair.early.push(data);
    },
    onFin(id) {
      const pair = byStream.get(id);
      if (!pair || id !== pair.data) return; // the client closes its side of the error stream at once
      pair.clientDone = true;
      pair.stream?.eof(1);
    },
    onReset(id) {
      const pair = byStream.get(id);
      if (pair && id === pair.data) pair.stream?.close();
    },
    onError(err) {
      logger.debug({ err }, 'port-forward SPDY session failed');
      pipe.fail();
    },
  });

  function open(requestId: string, pair: Pair): void {
    const dataId = pair.data!;
    const errorId = pair.error!;
    let stream: NodeStream;
    try {
      stream = streams.open({ ...target, kind: 'portForward', port: pair.port }, {
        onData(_channel, data, done) {
          spdy.data(dataId, data);
          done();
        },
      });
    } catch (err) {
      spdy.data(errorId, Buffer.from((err as Error).message), true);
      spdy.data(dataId, Buffer.alloc(0), true);
      return;
    }
    pair.stream = stream;
    stream.ready.then(
      () => {
        for (const b of pair.early.splice(0)) stream.write(1, b);
        if (pair.clientDone) stream.eof(1);
      },
      () => undefined,
    );
    void stream.ended.then((end) => {
      if (end.error) spdy.data(errorId, Buffer.from(`error forwarding port ${pair.port} to pod ${target.pod}: ${end.error}`));
      spdy.data(errorId, Buffer.alloc(0), true);
      spdy.data(dataId, Buffer.alloc(0), true);
      pairs.delete(requestId);
      byStream.delete(dataId);
      byStream.delete(errorId);
    });
  }

  pipe.onBytes((data) => spdy.feed(data));
  pipe.onClose(() => {
    spdy.close();
    for (const pair of pairs.values()) pair.stream?.close();
    pairs.clear();
  });
}
