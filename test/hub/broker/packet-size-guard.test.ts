/**
 * The packet size guard: the frame tracker on hand-made byte streams, and a real broker closing a raw
 * TCP connection whose first packet declares a huge size, before that size is ever sent, while real
 * MQTT clients keep working.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../../hub/broker/index.js';
import { createFrameLengthTracker } from '../../../hub/broker/packet-size-guard.js';
import { pino } from 'pino';
import { connect, createStubAuth, type StubAuth } from './helpers.js';

/** The MQTT variable-length encoding of n. */
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
const packet = (type: number, bodyLength: number) => Buffer.from([type, ...varint(bodyLength), ...new Array<number>(bodyLength).fill(0x61)]);

describe('createFrameLengthTracker', () => {
  it('follows packets of every length encoding, whole or split at any byte', () => {
    const stream = Buffer.concat([packet(0x10, 0), packet(0x30, 127), packet(0x30, 128), packet(0x30, 16_384), packet(0xc0, 0)]);
    for (const step of [1, 2, 3, 7, 1000, stream.length]) {
      const tracker = createFrameLengthTracker(20_000);
      for (let i = 0; i < stream.length; i += step) expect(tracker.feed(stream.subarray(i, i + step))).toEqual({ ok: true });
    }
  });

  it('refuses a packet declaring more than the limit from its length bytes alone, and stays refused', () => {
    const tracker = createFrameLengthTracker(1000);
    expect(tracker.feed(packet(0x30, 1000))).toEqual({ ok: true });
    const verdict = tracker.feed(Buffer.from([0x30, ...varint(200 * 1024 * 1024)]));
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toMatch(/more than the 1000 allowed/);
    expect(tracker.feed(packet(0xc0, 0)).ok).toBe(false);
  });

  it('refuses a length of more than four bytes', () => {
    const tracker = createFrameLengthTracker(Number.MAX_SAFE_INTEGER);
    const verdict = tracker.feed(Buffer.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]));
    expect(verdict).toEqual({ ok: false, reason: 'malformed remaining length (more than 4 bytes)' });
  });
});

describe('broker packet size guard', () => {
  const MAX = 1024;
  let broker: Broker;
  let port: number;
  let auth: StubAuth;
  let logs: { msg?: string; reason?: string }[];

  beforeEach(async () => {
    auth = createStubAuth();
    auth.nodePasswords.set('a', 'pw-a');
    logs = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg?: string }) });
    broker = await createBroker({ auth, logger, maxPayloadBytes: MAX });
    ({ port } = await broker.listen('127.0.0.1', 0));
  });
  afterEach(async () => {
    await broker.close();
  });

  it('closes an unauthenticated connection as soon as its CONNECT header declares 200 MiB, and serves others', async () => {
    const socket: Socket = netConnect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined); // the server resets the connection; that is the point
    // only the header: without the guard aedes would wait for the 200 MiB (or its 30 s connect timeout)
    socket.write(Buffer.from([0x10, ...varint(200 * 1024 * 1024)]));
    await closed;
    expect(socket.bytesWritten).toBe(5);
    expect(logs.find((l) => l.msg === 'MQTT connection closed: packet too large')?.reason).toMatch(/declares 209715200 bytes/);

    const client = await connect(port, { username: 'node:a', password: 'pw-a', clientId: 'node-a' });
    expect(client.connected).toBe(true);
    await client.endAsync(true);
  });
});
