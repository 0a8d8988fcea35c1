/**
 * A bound on what the hub holds for a client that does not read (a frozen device, a hostile one, a
 * link far slower than what it is sent). aedes writes each message into the client's socket and, once
 * the socket is over its high-water mark, waits for it to drain (for up to its `drainTimeout`, 60 s)
 * before it calls the delivery done; every message published to that client meanwhile is written
 * into the socket's buffer all the same. Without a bound, that buffer grows with everything the
 * client is sent.
 *
 * The guard watches what is written into each socket (as packet-size-guard.ts watches what is read)
 * and destroys the socket, with a SlowClientError, when a write would take the bytes waiting in it
 * past `maxQueuedBytes`. A node loses nothing by it: what the hub sends it is retained and whole
 * (desired set, network set), and it receives the latest again when it subscribes after reconnecting;
 * commands are interactive and time out.
 *
 * For that bound to be the only wait, deliveries must not wait for the socket either
 * (`deliverWithoutDrainWait`): aedes calls a delivery done only once the socket drains, and a publish
 * only once all its deliveries are done, so a publisher that awaits its publish waited behind a
 * frozen client.
 */
import type { Socket } from 'node:net';

/** Bytes waiting in one client's socket, at most, by default: this many payload limits. */
export const DEFAULT_QUEUED_PAYLOADS = 3;

export interface OutgoingLimits {
  /** Bytes waiting in one client's socket, at most (default DEFAULT_QUEUED_PAYLOADS payload limits: 12 MiB). */
  maxQueuedBytes?: number;
}

/**
 * Wrap `socket.write` so that a write taking its buffer past `maxQueuedBytes` destroys the socket
 * instead (`onRefused` is told why first, and gives the error to destroy it with).
 */
export function guardOutgoingBytes(socket: Socket, maxQueuedBytes: number, onRefused: (queuedBytes: number, reason: string) => Error): void {
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (socket.destroyed) return false;
    const bytes = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    const queued = socket.writableLength;
    if (queued + bytes <= maxQueuedBytes) return write(chunk, ...rest);
    socket.destroy(onRefused(queued, `${queued} bytes wait in its socket and ${bytes} more would pass the bound of ${maxQueuedBytes}`));
    return false;
  }) as typeof socket.write;
}

/**
 * Deliveries to `client` are done as soon as they are written into its socket, without waiting for
 * it to drain. aedes waits (up to its `drainTimeout`, 60 s) before it calls a delivery done, and calls
 * a publish done only when every delivery is: an in-process publisher that awaits its publish (the
 * fleet's desired and network sets, node after node) waited behind one frozen device for a minute,
 * and every other node's set with it. Written at once, what waits for a slow client is its socket's
 * buffer, which guardOutgoingBytes bounds (as mosquitto's max_queued_bytes); a frozen client that is
 * sent little is cut off by MQTT keep-alive.
 */
export function deliverWithoutDrainWait(client: object): void {
  (client as { waitForDrain: (done: (err: Error | null, client: object) => void) => void }).waitForDrain = (done) => {
    setImmediate(done, null, client);
  };
}
