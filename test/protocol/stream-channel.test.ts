/**
 * The stream endpoint both sides run (protocol/stream-channel.ts): two endpoints wired through
 * queues this test delivers by hand, so order, loss and timing are the test's to choose.
 */
import { describe, expect, it } from 'vitest';
import type { StreamFrame } from '../../protocol/messages.js';
import { createStreamEndpoint, MAX_STREAM_CHUNK_BYTES, type StreamEnd, type StreamEndpoint } from '../../protocol/stream-channel.js';

interface Side {
  endpoint: StreamEndpoint;
  /** Frames this side sent, not yet delivered to the other. */
  outbox: StreamFrame[];
  received: Array<{ channel: number; data: string }>;
  /** `done` callbacks of data not yet consumed (when `autoConsume` is off). */
  pending: Array<() => void>;
  ends: StreamEnd[];
  eofs: number[];
  drains: number;
  autoConsume: boolean;
}

function side(opts: { window: number; sendWindow?: number; autoConsume?: boolean }): Side {
  const s: Side = { endpoint: undefined as unknown as StreamEndpoint, outbox: [], received: [], pending: [], ends: [], eofs: [], drains: 0, autoConsume: opts.autoConsume ?? true };
  s.endpoint = createStreamEndpoint({
    id: 'st1',
    now: () => 0,
    receiveWindow: opts.window,
    ...(opts.sendWindow !== undefined ? { sendWindow: opts.sendWindow } : {}),
    send: (f) => s.outbox.push(f),
    onData(channel, data, done) {
      s.received.push({ channel, data: data.toString() });
      if (s.autoConsume) done();
      else s.pending.push(done);
    },
    onEof: (c) => s.eofs.push(c),
    onDrain: () => s.drains++,
    onClose: (end) => s.ends.push(end),
  });
  return s;
}

/** Deliver everything `from` sent to `to`, until both are quiet. */
function pump(a: Side, b: Side): void {
  while (a.outbox.length || b.outbox.length) {
    for (const f of a.outbox.splice(0)) b.endpoint.receive(f);
    for (const f of b.outbox.splice(0)) a.endpoint.receive(f);
  }
}

/** A hub side that opened, and an agent side that took the open and answered ready. */
function pair(window: number, agentAutoConsume = true, hubAutoConsume = true): { hub: Side; agent: Side } {
  const hub = side({ window, autoConsume: hubAutoConsume });
  const agent = side({ window, autoConsume: agentAutoConsume });
  hub.endpoint.control({ op: 'open', kind: 'exec', namespace: 'default', pod: 'p', argv: ['cat'], window });
  pump(hub, agent);
  agent.endpoint.control({ op: 'ready', window });
  pump(hub, agent);
  return { hub, agent };
}

describe('stream channel', () => {
  it('numbers each side\'s frames from 0 and delivers data in order, on its channel', () => {
    const { hub, agent } = pair(4096);
    agent.endpoint.write(1, Buffer.from('out1 '));
    agent.endpoint.write(2, Buffer.from('err1 '));
    agent.endpoint.write(1, Buffer.from('out2'));
    expect(agent.outbox.map((f) => f.seq)).toEqual([1, 2, 3]);
    pump(hub, agent);
    expect(hub.received).toEqual([
      { channel: 1, data: 'out1 ' },
      { channel: 2, data: 'err1 ' },
      { channel: 1, data: 'out2' },
    ]);
  });

  it('ignores a resent frame and ends the stream, on both sides, when one is lost', () => {
    const { hub, agent } = pair(4096);
    agent.endpoint.write(1, Buffer.from('a'));
    agent.endpoint.write(1, Buffer.from('b'));
    agent.endpoint.write(1, Buffer.from('c'));
    const [a, b, c] = agent.outbox.splice(0);
    hub.endpoint.receive(a!);
    hub.endpoint.receive(a!); // a QoS 1 duplicate
    expect(hub.received.map((r) => r.data)).toEqual(['a']);
    void b; // lost
    hub.endpoint.receive(c!);
    expect(hub.endpoint.closed).toBe(true);
    expect(hub.ends[0]).toMatchObject({ byPeer: false, error: expect.stringContaining('were lost') });
    pump(hub, agent);
    expect(agent.endpoint.closed).toBe(true);
    expect(agent.ends[0]).toMatchObject({ byPeer: true, error: expect.stringContaining('were lost') });
  });

  it('sends no more than the window before the receiver consumes, then goes on as acks come', () => {
    const window = 4096;
    const { hub, agent } = pair(window, true, false);
    const big = Buffer.alloc(3 * window, 'x');
    expect(agent.endpoint.write(1, big)).toBe(false); // more than a window waits: the producer should pause
    pump(hub, agent);
    const receivedBytes = () => hub.received.reduce((n, r) => n + r.data.length, 0);
    expect(receivedBytes()).toBe(window);
    expect(agent.endpoint.queuedBytes()).toBe(2 * window);
    // the hub's consumer takes what it has: its acks open the window again
    for (const done of hub.pending.splice(0)) done();
    pump(hub, agent);
    expect(receivedBytes()).toBe(2 * window);
    for (const done of hub.pending.splice(0)) done();
    pump(hub, agent);
    expect(receivedBytes()).toBe(3 * window);
    expect(agent.endpoint.queuedBytes()).toBe(0);
    expect(agent.drains).toBe(1);
  });

  it('cuts data into frames of at most MAX_STREAM_CHUNK_BYTES', () => {
    const window = 4 * MAX_STREAM_CHUNK_BYTES;
    const { hub, agent } = pair(window);
    agent.endpoint.write(1, Buffer.alloc(MAX_STREAM_CHUNK_BYTES * 2 + 10, 'y'));
    const sizes = agent.outbox.filter((f) => f.op === 'data').map((f) => Buffer.from((f as { data: string }).data, 'base64').length);
    expect(sizes).toEqual([MAX_STREAM_CHUNK_BYTES, MAX_STREAM_CHUNK_BYTES, 10]);
    pump(hub, agent);
    expect(hub.received.map((r) => r.data.length)).toEqual(sizes);
  });

  it('sends what the hub writes before ready once the agent is ready, then eof after it', () => {
    const window = 4096;
    const hub = side({ window });
    const agent = side({ window });
    hub.endpoint.control({ op: 'open', kind: 'exec', namespace: 'default', pod: 'p', argv: ['cat'], stdin: true, window });
    hub.endpoint.write(0, Buffer.from('hi\n'));
    hub.endpoint.eof(0);
    expect(hub.outbox.map((f) => f.op)).toEqual(['open']); // no window from the agent yet
    pump(hub, agent);
    agent.endpoint.control({ op: 'ready', window });
    pump(hub, agent);
    expect(agent.received).toEqual([{ channel: 0, data: 'hi\n' }]);
    expect(agent.eofs).toEqual([0]);
  });

  it('closes after the data written before, with the exit code; either side may close', () => {
    const { hub, agent } = pair(4096);
    agent.endpoint.write(1, Buffer.from('last words'));
    agent.endpoint.close({ exitCode: 3 });
    expect(agent.endpoint.write(1, Buffer.from('too late'))).toBe(false);
    pump(hub, agent);
    expect(hub.received.map((r) => r.data)).toEqual(['last words']);
    expect(hub.ends).toEqual([{ exitCode: 3, byPeer: true }]);
    expect(agent.ends).toEqual([{ exitCode: 3, byPeer: false }]);

    const other = pair(4096);
    other.hub.endpoint.close();
    pump(other.hub, other.agent);
    expect(other.agent.ends).toEqual([{ byPeer: true }]);
    expect(other.hub.endpoint.closed).toBe(true);
  });

  it('waits for credit before a close, but abort goes at once and drops what waits', () => {
    const window = 4096;
    const { hub, agent } = pair(window, true, false);
    agent.endpoint.write(1, Buffer.alloc(2 * window, 'z'));
    agent.endpoint.close({ exitCode: 0 });
    pump(hub, agent);
    expect(hub.endpoint.closed).toBe(false); // the close waits behind a window of unconsumed data
    agent.endpoint.abort('the client went away');
    pump(hub, agent);
    expect(hub.ends).toEqual([{ error: 'the client went away', byPeer: true }]);
    expect(agent.endpoint.queuedBytes()).toBe(0);
  });
});
