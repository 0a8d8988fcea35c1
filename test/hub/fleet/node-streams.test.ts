/**
 * Streams between the hub and agents over a real aedes broker, the agents real MQTT clients with node
 * credentials: frames in order both ways, the exit code in the close, a node refused on another node's
 * stream topic (its connection closed, nothing reaches the stream), an unanswered open.
 */
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNodeStreams, type NodeStreamsService } from '../../../hub/fleet/index.js';
import { StreamFailedError } from '../../../hub/fleet/errors.js';
import { decodeMessage, encodeMessage, streamFrameSchema, type StreamFrame } from '../../../protocol/messages.js';
import { silentLogger } from '../../../protocol/index.js';
import { topics } from '../../../protocol/topics.js';
import { waitClosed } from '../broker/helpers.js';
import { connectTracked, startHarness, type Harness } from './harness.js';

interface Peer {
  client: MqttClient;
  frames: StreamFrame[];
  seq: Map<string, number>;
  send(stream: string, body: Record<string, unknown>, node?: string): Promise<void>;
}

async function nodeClient(h: Harness, node: string): Promise<Peer> {
  const { password } = await h.auth.issueNodeCredential(node);
  const client = await connectTracked(h, { username: `node:${node}`, password, clientId: `node-${node}` });
  const frames: StreamFrame[] = [];
  client.on('message', (topic, payload) => frames.push(decodeMessage(streamFrameSchema, topic, payload)));
  await client.subscribeAsync(topics.nodeStreams(node), { qos: 1 });
  const seq = new Map<string, number>();
  return {
    client,
    frames,
    seq,
    async send(stream, body, onNode = node) {
      const n = seq.get(stream) ?? 0;
      seq.set(stream, n + 1);
      const frame = { v: 1, type: 'stream', sentAt: new Date().toISOString(), stream, seq: n, ...body } as StreamFrame;
      await client.publishAsync(topics.nodeStream(onNode, stream), encodeMessage(frame), { qos: 1 });
    },
  };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`never: ${what}`);
}

describe('node streams', () => {
  let h: Harness;
  let streams: NodeStreamsService;
  beforeEach(async () => {
    h = await startHarness();
    streams = createNodeStreams({ broker: h.broker, logger: silentLogger(), readyTimeoutMs: 300 });
    streams.start();
  });
  afterEach(async () => {
    streams.stop();
    await h.close();
  });

  it('opens a stream on the node, relays its frames in order both ways and ends with its exit code', async () => {
    const agent = await nodeClient(h, 'ns-a');
    const got: Array<[number, string]> = [];
    const stream = streams.open({ node: 'ns-a', kind: 'exec', namespace: 'default', pod: 'web', argv: ['cat'], stdin: true }, {
      onData: (channel, data, done) => {
        got.push([channel, data.toString()]);
        done();
      },
    });
    await until('the open', () => agent.frames.length === 1);
    const open = agent.frames[0]!;
    expect(open).toMatchObject({ op: 'open', seq: 0, kind: 'exec', namespace: 'default', pod: 'web', argv: ['cat'], stdin: true });
    stream.write(0, Buffer.from('typed'));
    stream.eof(0);
    await agent.send(stream.id, { op: 'ready', window: 65536 });
    await stream.ready;
    await until('stdin and its end', () => agent.frames.length === 3);
    expect(agent.frames.slice(1).map((f) => [f.seq, f.op])).toEqual([[1, 'data'], [2, 'eof']]);
    expect(Buffer.from((agent.frames[1] as { data: string }).data, 'base64').toString()).toBe('typed');
    for (let i = 0; i < 20; i++) await agent.send(stream.id, { op: 'data', channel: i % 2 ? 2 : 1, data: Buffer.from(`line ${i}\n`).toString('base64') });
    await agent.send(stream.id, { op: 'close', exitCode: 7 });
    expect(await stream.ended).toEqual({ exitCode: 7, byPeer: true });
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => [i % 2 ? 2 : 1, `line ${i}\n`]));
    expect(streams.openCount()).toBe(0);
  });

  it("refuses a node publishing on another node's stream topic: its connection is closed and the stream never sees it", async () => {
    const agent = await nodeClient(h, 'ns-b');
    const intruder = await nodeClient(h, 'ns-c');
    const got: string[] = [];
    const stream = streams.open({ node: 'ns-b', kind: 'logs', namespace: 'default', pod: 'web', follow: true }, {
      onData: (_c, data, done) => {
        got.push(data.toString());
        done();
      },
    });
    await until('the open', () => agent.frames.length === 1);
    await agent.send(stream.id, { op: 'ready', window: 65536 });
    await stream.ready;
    const closed = waitClosed(intruder.client);
    // the intruder's frame claims the next sequence number, as if it were the agent's
    intruder.seq.set(stream.id, 1);
    intruder.send(stream.id, { op: 'data', channel: 1, data: Buffer.from('forged').toString('base64') }, 'ns-b').catch(() => undefined);
    await closed;
    await agent.send(stream.id, { op: 'data', channel: 1, data: Buffer.from('genuine').toString('base64') });
    await until('the genuine line', () => got.length === 1);
    expect(got).toEqual(['genuine']);
    // and a node cannot subscribe to another node's streams
    const other = await nodeClient(h, 'ns-d');
    await expect(other.client.subscribeAsync(topics.nodeStreams('ns-b'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    stream.close();
    expect(await stream.ended).toMatchObject({ byPeer: false });
  });

  it('fails the open when the node does not answer, and at once when it is not connected', async () => {
    await nodeClient(h, 'ns-e');
    const stream = streams.open({ node: 'ns-e', kind: 'exec', namespace: 'default', pod: 'web', argv: ['true'] }, { onData: (_c, _d, done) => done() });
    await expect(stream.ready).rejects.toBeInstanceOf(StreamFailedError);
    expect((await stream.ended).error).toContain('did not open the exec stream');
    expect(() => streams.open({ node: 'ns-nobody', kind: 'logs', namespace: 'default', pod: 'web' }, { onData: (_c, _d, done) => done() })).toThrow(/not connected/);
  });

  it("hands the agent's refusal to the opener", async () => {
    const agent = await nodeClient(h, 'ns-f');
    const stream = streams.open({ node: 'ns-f', kind: 'logs', namespace: 'default', pod: 'gone' }, { onData: (_c, _d, done) => done() });
    await until('the open', () => agent.frames.length === 1);
    await agent.send(stream.id, { op: 'close', error: 'pod default/gone not found on this node' });
    await expect(stream.ready).rejects.toThrow('pod default/gone not found on this node');
  });
});
