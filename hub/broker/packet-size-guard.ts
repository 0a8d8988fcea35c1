/**
 * Refuse an MQTT packet by its declared size, before it is buffered. aedes' parser (mqtt-packet) keeps
 * every byte of a packet until it is complete, and only then do the hooks see it: a client, even before
 * it has authenticated, could make the hub hold up to 256 MiB per connection. The guard reads the fixed
 * header of every packet as the bytes go by (type byte, then the 1-4 byte "remaining length") and
 * closes the connection as soon as a packet declares more than the limit.
 */
import type { Socket } from 'node:net';

export type FrameVerdict = { ok: true } | { ok: false; reason: string };

/** Follows packet boundaries through a byte stream fed in chunks of any size. */
export interface FrameLengthTracker {
  feed(chunk: Buffer): FrameVerdict;
}

export function createFrameLengthTracker(maxRemainingLength: number): FrameLengthTracker {
  let state: 'type' | 'length' | 'body' = 'type';
  let length = 0;
  let multiplier = 1;
  let lengthBytes = 0;
  let remaining = 0;
  let failed: FrameVerdict | undefined;

  return {
    feed(chunk) {
      if (failed) return failed;
      let i = 0;
      while (i < chunk.length) {
        if (state === 'type') {
          i++;
          state = 'length';
          length = 0;
          multiplier = 1;
          lengthBytes = 0;
        } else if (state === 'length') {
          const b = chunk[i++]!;
          length += (b & 0x7f) * multiplier;
          multiplier *= 128;
          lengthBytes++;
          if (length > maxRemainingLength) {
            failed = { ok: false, reason: `packet declares ${length} bytes, more than the ${maxRemainingLength} allowed` };
            return failed;
          }
          if (b & 0x80) {
            if (lengthBytes === 4) {
              failed = { ok: false, reason: 'malformed remaining length (more than 4 bytes)' };
              return failed;
            }
          } else if (length === 0) {
            state = 'type';
          } else {
            remaining = length;
            state = 'body';
          }
        } else {
          const take = Math.min(remaining, chunk.length - i);
          i += take;
          remaining -= take;
          if (remaining === 0) state = 'type';
        }
      }
      return { ok: true };
    },
  };
}

/**
 * Watch what aedes reads from `socket` (it pulls with socket.read()) and destroy the socket when a packet
 * declares more than `maxRemainingLength`; aedes then sees an ordinary closed connection.
 */
export function guardPacketSize(socket: Socket, maxRemainingLength: number, onRefused: (reason: string) => void): void {
  const tracker = createFrameLengthTracker(maxRemainingLength);
  const read = socket.read.bind(socket);
  socket.read = (size?: number) => {
    const chunk = read(size) as Buffer | string | null;
    if (chunk === null || socket.destroyed) return chunk;
    const verdict = tracker.feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    if (verdict.ok) return chunk;
    onRefused(verdict.reason);
    socket.destroy();
    return null;
  };
}
