/**
 * Per-node publish quotas: the buckets on their own with a fake clock, and a real broker where a node
 * flooding its status topic has the excess dropped (its heartbeats still go through), then is
 * disconnected, each drop and the disconnect counted on the registry the hub serves as /metrics.
 */
import type { MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../../hub/broker/index.js';
import { createPublishQuota } from '../../../hub/broker/publish-quota.js';
import { silentLogger } from '../../../protocol/logger.js';
import { connect, createStubAuth, eventually, subscribeGrants, waitClosed } from './helpers.js';

const tight = { messagesPerSecond: 1, messageBurst: 5, bytesPerSecond: 100, byteBurst: 1000, heartbeatsPerSecond: 1, heartbeatBurst: 2, dropAllowance: 3, dropAllowancePerSecond: 1 };

describe('createPublishQuota', () => {
  it('accepts a burst, drops past it, refills with time, and disconnects once the drop allowance is spent', () => {
    let now = 0;
    const q = createPublishQuota({ ...tight, clock: () => now });
    const actions = Array.from({ length: 9 }, () => q.charge('node:a', false, 10).action);
    expect(actions).toEqual(['accept', 'accept', 'accept', 'accept', 'accept', 'drop', 'drop', 'drop', 'disconnect']);
    now = 2_000; // two messages' worth of refill (and two drops back in the allowance)
    expect([q.charge('node:a', false, 10).action, q.charge('node:a', false, 10).action, q.charge('node:a', false, 10).action]).toEqual(['accept', 'accept', 'drop']);
  });

  it('bytes have their own bucket; a refused message takes no message token', () => {
    const q = createPublishQuota({ ...tight, clock: () => 0 });
    expect(q.charge('node:a', false, 900)).toEqual({ action: 'accept' });
    expect(q.charge('node:a', false, 200)).toMatchObject({ action: 'drop', limit: 'bytes' });
    // four messages are left in the message bucket: the byte-dropped one did not use one
    expect(['node:a', 'node:a', 'node:a', 'node:a'].map((k) => q.charge(k, false, 1).action)).toEqual(['accept', 'accept', 'accept', 'accept']);
  });

  it('heartbeats are charged to a bucket of their own: a node over its message quota still heartbeats', () => {
    const q = createPublishQuota({ ...tight, clock: () => 0 });
    for (let i = 0; i < 7; i++) q.charge('node:a', false, 1);
    expect(q.charge('node:a', true, 200)).toEqual({ action: 'accept' });
    expect(q.charge('node:a', true, 200)).toEqual({ action: 'accept' });
    expect(q.charge('node:a', true, 200)).toMatchObject({ action: 'drop', limit: 'heartbeats' });
  });

  it('stream frames are charged to buckets of their own: a busy exec does not starve the reports, nor they it', () => {
    const q = createPublishQuota({ ...tight, streamMessagesPerSecond: 1, streamMessageBurst: 3, streamBytesPerSecond: 100, streamByteBurst: 500, clock: () => 0 });
    for (let i = 0; i < 7; i++) q.charge('node:a', false, 1); // the report buckets are spent
    expect(['stream', 'stream', 'stream'].map(() => q.charge('node:a', 'stream', 100).action)).toEqual(['accept', 'accept', 'accept']);
    expect(q.charge('node:a', 'stream', 100)).toMatchObject({ action: 'drop', limit: 'stream-messages' });
    const q2 = createPublishQuota({ ...tight, streamMessagesPerSecond: 1, streamMessageBurst: 30, streamBytesPerSecond: 100, streamByteBurst: 500, clock: () => 0 });
    expect(q2.charge('node:a', 'stream', 400)).toEqual({ action: 'accept' });
    expect(q2.charge('node:a', 'stream', 200)).toMatchObject({ action: 'drop', limit: 'stream-bytes' });
    expect(q2.charge('node:a', false, 10)).toEqual({ action: 'accept' });
  });

  it('each client has its own quotas, and at most maxTracked are remembered', () => {
    const q = createPublishQuota({ ...tight, maxTracked: 2, clock: () => 0 });
    for (let i = 0; i < 5; i++) q.charge('node:a', false, 1);
    expect(q.charge('node:b', false, 1)).toEqual({ action: 'accept' });
    q.charge('node:c', false, 1);
    expect(q.size()).toBe(2);
  });
});

describe('broker with publish quotas', () => {
  let broker: Broker;
  let port: number;
  let registry: Registry;
  const clients: MqttClient[] = [];
  let seen: string[];

  beforeEach(async () => {
    const auth = createStubAuth();
    auth.nodePasswords.set('a', 'pw-a');
    auth.nodePasswords.set('b', 'pw-b');
    registry = new Registry();
    broker = await createBroker({ auth, logger: silentLogger(), publishQuota: { ...tight, messagesPerSecond: 0.001 }, metrics: registry });
    ({ port } = await broker.listen('127.0.0.1', 0));
    seen = [];
    broker.subscribe('drover/v1/nodes/+/+', (topic, payload) => void seen.push(`${topic.split('/')[3]}:${topic.split('/')[4]}:${payload.toString()}`));
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.close();
  });

  async function node(name: string): Promise<MqttClient> {
    const c = await connect(port, { username: `node:${name}`, password: `pw-${name}`, clientId: `node-${name}` });
    clients.push(c);
    return c;
  }

  const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.map((v) => ({ labels: v.labels, value: v.value }));

  it('a node flooding its status: the burst passes, then messages are dropped (heartbeats still pass), then it is disconnected', async () => {
    const a = await node('a');
    const b = await node('b');
    for (let i = 0; i < 7; i++) await a.publishAsync('drover/v1/nodes/a/status', `s${i}`, { qos: 1 });
    await a.publishAsync('drover/v1/nodes/a/heartbeat', 'hb', { qos: 0 });
    await b.publishAsync('drover/v1/nodes/b/status', 'b0', { qos: 1 });
    await eventually(() => seen.includes('b:status:b0'));
    expect(seen.filter((m) => m.startsWith('a:'))).toEqual(['a:status:s0', 'a:status:s1', 'a:status:s2', 'a:status:s3', 'a:status:s4', 'a:heartbeat:hb']);
    expect(await metric('drover_mqtt_quota_dropped_total')).toEqual([{ labels: { limit: 'messages' }, value: 2 }]);
    expect(broker.isNodeConnected('a')).toBe(true);

    a.publish('drover/v1/nodes/a/status', 's7', { qos: 1 });
    a.publish('drover/v1/nodes/a/status', 's8', { qos: 1 });
    await waitClosed(a);
    expect(await metric('drover_mqtt_quota_disconnects_total')).toEqual([{ labels: { limit: 'messages' }, value: 1 }]);
    // the quota is the node's, not the connection's: a reconnect does not refill it
    const again = await node('a');
    again.publish('drover/v1/nodes/a/status', 's9', { qos: 1 });
    await waitClosed(again);
    expect(seen.filter((m) => /^a:status:s[5-9]/.test(m))).toEqual([]);
    // node b, on its own quota, is untouched
    expect(broker.isNodeConnected('b')).toBe(true);
  });

  it('subscribes count against the quota too: subscribing in a loop (each resends the retained set) is refused, then cut off', async () => {
    await broker.publish('drover/v1/nodes/a/desired', 'set', { qos: 1, retain: true });
    const a = await node('a');
    const closed = waitClosed(a);
    const grants: number[] = [];
    for (let i = 0; i < 8; i++) grants.push(...(await subscribeGrants(a, ['drover/v1/nodes/a/desired'], 1)));
    expect(grants).toEqual([1, 1, 1, 1, 1, 128, 128, 128]);
    a.subscribe('drover/v1/nodes/a/desired', { qos: 1 });
    await closed;
    expect(broker.isNodeConnected('a')).toBe(false);
  });
});

