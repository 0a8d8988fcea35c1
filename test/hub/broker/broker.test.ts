import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createBroker, type Broker, type PublishMeta } from '../../../hub/broker/index.js';
import { silentLogger } from '../../../protocol/logger.js';
import { collect, connect, connectRefused, createStubAuth, eventually, subscribeGrants, waitClosed, type StubAuth } from './helpers.js';

const MAX = 1024;

describe('broker', () => {
  let broker: Broker;
  let port: number;
  let auth: StubAuth;
  const clients: MqttClient[] = [];
  let seen: Array<{ topic: string; payload: string; meta: PublishMeta }>;

  beforeEach(async () => {
    auth = createStubAuth();
    auth.nodePasswords.set('a', 'pw-a');
    auth.nodePasswords.set('b', 'pw-b');
    auth.tokens.set('join-secret', 'tok1');
    broker = await createBroker({ auth, logger: silentLogger(), maxPayloadBytes: MAX });
    ({ port } = await broker.listen('127.0.0.1', 0));
    seen = [];
    broker.subscribe('drover/#', (topic, payload, meta) => {
      seen.push({ topic, payload: payload.toString(), meta });
    });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.close();
  });

  async function node(name: string, extra: Parameters<typeof connect>[1] = {}): Promise<MqttClient> {
    const c = await connect(port, { username: `node:${name}`, password: `pw-${name}`, clientId: `node-${name}`, ...extra });
    clients.push(c);
    return c;
  }
  async function joiner(clientId: string): Promise<MqttClient> {
    const c = await connect(port, { username: 'join', password: 'join-secret', clientId });
    clients.push(c);
    return c;
  }

  it('refuses anonymous clients with CONNACK not authorized', async () => {
    expect(await connectRefused(port, { clientId: 'anon' })).toBe(5);
  });

  it('refuses a wrong node password, an unknown username and a wrong join token', async () => {
    expect(await connectRefused(port, { username: 'node:a', password: 'nope', clientId: 'node-a' })).toBe(5);
    expect(await connectRefused(port, { username: 'admin', password: 'pw-a', clientId: 'x1' })).toBe(5);
    expect(await connectRefused(port, { username: 'join', password: 'bad-token', clientId: 'j1' })).toBe(5);
    expect(broker.isNodeConnected('a')).toBe(false);
  });

  it('requires node-<name> as a node client id, and refuses join clients posing as a node id', async () => {
    expect(await connectRefused(port, { username: 'node:a', password: 'pw-a', clientId: 'node-b' })).toBe(2);
    expect(await connectRefused(port, { username: 'join', password: 'join-secret', clientId: 'node-a' })).toBe(2);
  });

  it('lets a node publish its own status and tracks that it is connected', async () => {
    const a = await node('a');
    expect(broker.isNodeConnected('a')).toBe(true);
    await a.publishAsync('drover/v1/nodes/a/status', 'hello', { qos: 1 });
    const got = await eventually(() => seen.find((m) => m.topic === 'drover/v1/nodes/a/status'));
    expect(got.payload).toBe('hello');
    expect(got.meta.identity).toEqual({ kind: 'node', node: 'a' });
    expect(got.meta.lastWill).toBe(false);
    await a.endAsync();
    await eventually(() => !broker.isNodeConnected('a'));
  });

  it("denies node A publishing to node B's topics, and the message reaches no subscriber", async () => {
    const b = await node('b');
    await b.subscribeAsync('drover/v1/nodes/b/desired', { qos: 1 });
    const bGot = collect(b);
    const a = await node('a');
    a.publish('drover/v1/nodes/b/status', 'forged', { qos: 0 });
    await waitClosed(a);
    const a2 = await node('a');
    a2.publish('drover/v1/nodes/b/desired', 'forged-desired', { qos: 0 });
    await waitClosed(a2);
    // Control: the hub's own publish to B's desired does arrive, after the refused ones.
    await broker.publish('drover/v1/nodes/b/desired', 'real', { qos: 1 });
    await eventually(() => bGot.length > 0);
    expect(bGot.map((m) => m.payload)).toEqual(['real']);
    expect(seen.filter((m) => m.payload.startsWith('forged'))).toEqual([]);
  });

  it('denies a node publishing to its own down channels (desired, cmd)', async () => {
    const a = await node('a');
    a.publish('drover/v1/nodes/a/desired', 'self-desired');
    await waitClosed(a);
    expect(seen.some((m) => m.payload === 'self-desired')).toBe(false);
  });

  it("denies subscribing to B's desired, to # and to + wildcards; allows its own desired", async () => {
    const a = await node('a');
    const aGot = collect(a);
    const denied = await subscribeGrants(a, ['drover/v1/nodes/b/desired', '#', 'drover/v1/nodes/+/desired', 'drover/v1/nodes/a/status']);
    expect(denied).toEqual([128, 128, 128, 128]);
    const allowed = await a.subscribeAsync('drover/v1/nodes/a/desired', { qos: 1 });
    expect(allowed[0]!.qos).toBe(1);
    await broker.publish('drover/v1/nodes/b/desired', 'for-b', { qos: 1 });
    await broker.publish('drover/v1/nodes/a/desired', 'for-a', { qos: 1 });
    await eventually(() => aGot.length > 0);
    expect(aGot.map((m) => m.payload)).toEqual(['for-a']);
  });

  it('lets every node subscribe to the shared cluster/network topics and none publish there (retained or not); join clients may not subscribe', async () => {
    await broker.publish('drover/v1/cluster/network/snapshot', 'snap-1', { retain: true, qos: 1 });
    const a = await node('a');
    const b = await node('b');
    const bGot = collect(b);
    expect(await subscribeGrants(a, ['drover/v1/cluster/network', 'drover/v1/cluster/network/snapshot', 'drover/v1/cluster/+', 'drover/v1/cluster/other'], 1)).toEqual([1, 1, 128, 128]);
    expect(await subscribeGrants(b, ['drover/v1/cluster/network', 'drover/v1/cluster/network/snapshot'], 1)).toEqual([1, 1]);
    // the retained snapshot the hub published reaches a node that subscribes after it
    await eventually(() => bGot.find((m) => m.payload === 'snap-1'));
    a.publish('drover/v1/cluster/network', 'forged-delta', { qos: 1 });
    await waitClosed(a);
    const a2 = await node('a');
    a2.publish('drover/v1/cluster/network/snapshot', 'forged-snapshot', { qos: 1, retain: true });
    await waitClosed(a2);
    // Control: the hub's own delta arrives, after the refused ones; the retained snapshot is still the hub's
    await broker.publish('drover/v1/cluster/network', 'real-delta', { qos: 1 });
    await eventually(() => bGot.find((m) => m.payload === 'real-delta'));
    expect(bGot.map((m) => m.payload)).toEqual(['snap-1', 'real-delta']);
    expect(seen.filter((m) => m.payload.startsWith('forged'))).toEqual([]);
    const c = await node('b');
    const cGot = collect(c);
    await c.subscribeAsync('drover/v1/cluster/network/snapshot', { qos: 1 });
    expect((await eventually(() => cGot[0])).payload).toBe('snap-1');
    const j = await joiner('dev-9');
    expect(await subscribeGrants(j, ['drover/v1/cluster/network', 'drover/v1/cluster/network/snapshot'])).toEqual([128, 128]);
  });

  it('refuses oversized payloads', async () => {
    const a = await node('a');
    a.publish('drover/v1/nodes/a/status', 'x'.repeat(MAX + 1));
    await waitClosed(a);
    const a2 = await node('a');
    await a2.publishAsync('drover/v1/nodes/a/status', 'x'.repeat(MAX), { qos: 1 });
    await eventually(() => seen.length > 0);
    expect(seen.map((m) => m.payload.length)).toEqual([MAX]);
  });

  it('confines a join client to its own join topics', async () => {
    const j = await joiner('dev-1');
    const jGot = collect(j);
    const subs = await subscribeGrants(j, ['drover/v1/join/dev-1/reply', 'drover/v1/join/dev-2/reply', 'drover/v1/join/+/reply', 'drover/v1/nodes/a/desired']);
    expect(subs).toEqual([0, 128, 128, 128]);
    await j.publishAsync('drover/v1/join/dev-1/request', 'req', { qos: 1 });
    const req = await eventually(() => seen.find((m) => m.topic === 'drover/v1/join/dev-1/request'));
    expect(req.meta.identity).toMatchObject({ kind: 'join', clientId: 'dev-1', tokenId: 'tok1', token: 'join-secret' });
    await broker.publish('drover/v1/join/dev-2/reply', 'not-yours');
    await broker.publish('drover/v1/join/dev-1/reply', 'yours');
    await eventually(() => jGot.length > 0);
    expect(jGot.map((m) => m.payload)).toEqual(['yours']);

    j.publish('drover/v1/join/dev-2/request', 'other-request');
    await waitClosed(j);
    for (const topic of ['drover/v1/nodes/a/status', 'drover/v1/join/dev-1/reply']) {
      const j2 = await joiner('dev-1');
      j2.publish(topic, 'sneaky');
      await waitClosed(j2);
    }
    expect(seen.filter((m) => m.payload === 'other-request' || m.payload === 'sneaky')).toEqual([]);
  });

  it("refuses a node whose last will is not its own presence, and refuses wills on join clients", async () => {
    expect(
      await connectRefused(port, {
        username: 'node:a', password: 'pw-a', clientId: 'node-a',
        will: { topic: 'drover/v1/nodes/b/presence', payload: Buffer.from('x'), qos: 1, retain: true },
      }),
    ).toBe(5);
    expect(
      await connectRefused(port, {
        username: 'join', password: 'join-secret', clientId: 'dev-9',
        will: { topic: 'drover/v1/join/dev-9/request', payload: Buffer.from('x'), qos: 0, retain: false },
      }),
    ).toBe(5);
  });

  it('publishes a node last will with lastWill set when the connection drops', async () => {
    const a = await node('a', { will: { topic: 'drover/v1/nodes/a/presence', payload: Buffer.from('offline'), qos: 1, retain: true } });
    a.stream.destroy();
    const will = await eventually(() => seen.find((m) => m.topic === 'drover/v1/nodes/a/presence'));
    expect(will.payload).toBe('offline');
    expect(will.meta.lastWill).toBe(true);
    await eventually(() => !broker.isNodeConnected('a'));
  });

  it('refuses a retained publish from a node anywhere but its own presence, and keeps none of it', async () => {
    for (const topic of ['drover/v1/nodes/a/reply/r1', 'drover/v1/nodes/a/status', 'drover/v1/nodes/a/pods', 'drover/v1/nodes/a/heartbeat']) {
      const a = await node('a');
      a.publish(topic, 'keep-me', { qos: 1, retain: true });
      await waitClosed(a);
    }
    expect(seen.filter((m) => m.payload === 'keep-me')).toEqual([]);
    expect(await broker.retained()).toEqual({ messages: 0, bytes: 0 });
    // a node's presence is the one retained message the protocol has: kept, small
    const a = await node('a');
    await a.publishAsync('drover/v1/nodes/a/presence', 'online', { qos: 1, retain: true });
    await eventually(() => seen.find((m) => m.topic === 'drover/v1/nodes/a/presence'));
    expect(await broker.retained()).toEqual({ messages: 1, bytes: 'online'.length });
  });

  it('refuses a retained presence over its small limit, a last will over it, and QoS 2 anywhere', async () => {
    const a = await node('a');
    a.publish('drover/v1/nodes/a/presence', 'x'.repeat(1025), { qos: 1, retain: true });
    await waitClosed(a);
    const a2 = await node('a');
    a2.publish('drover/v1/nodes/a/status', 'exactly-once', { qos: 2 });
    await waitClosed(a2);
    expect(
      await connectRefused(port, {
        username: 'node:a', password: 'pw-a', clientId: 'node-a',
        will: { topic: 'drover/v1/nodes/a/presence', payload: Buffer.alloc(2000, 1), qos: 1, retain: true },
      }),
    ).toBe(5);
    expect(seen.filter((m) => m.payload === 'exactly-once' || m.payload.startsWith('xxx'))).toEqual([]);
    expect(await broker.retained()).toEqual({ messages: 0, bytes: 0 });
  });

  it('refuses a join client asking for a persistent session', async () => {
    expect(await connectRefused(port, { username: 'join', password: 'join-secret', clientId: 'dev-p', clean: false })).toBe(5);
  });

  it('keeps the retained message a hub publishes for clients that subscribe later', async () => {
    await broker.publish('drover/v1/nodes/a/desired', 'set-1', { retain: true, qos: 1 });
    const a = await node('a');
    const got = collect(a);
    await a.subscribeAsync('drover/v1/nodes/a/desired', { qos: 1 });
    const m = await eventually(() => got[0]);
    expect(m).toEqual({ topic: 'drover/v1/nodes/a/desired', payload: 'set-1', retain: true });
  });

  it('throttleNode stops reading what a node sends until it is let go again, losing nothing', async () => {
    const a = await node('a');
    // aedes itself pauses a client while it authenticates and resumes it right after the CONNACK
    await new Promise((r) => setTimeout(r, 100));
    broker.throttleNode('a', true);
    const sends = Array.from({ length: 5 }, (_, i) => a.publishAsync('drover/v1/nodes/a/status', `s${i}`, { qos: 1 }));
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.filter((m) => m.topic === 'drover/v1/nodes/a/status')).toHaveLength(0);
    broker.throttleNode('a', false);
    await Promise.all(sends);
    await eventually(() => seen.filter((m) => m.topic === 'drover/v1/nodes/a/status').length === 5 || undefined);
    expect(seen.filter((m) => m.topic === 'drover/v1/nodes/a/status').map((m) => m.payload)).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });

  it('disconnectNode closes the node connection', async () => {
    const a = await node('a');
    await broker.disconnectNode('a');
    await waitClosed(a);
    expect(broker.isNodeConnected('a')).toBe(false);
  });
});
