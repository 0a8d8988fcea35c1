/**
 * A subscriber that stops reading: a node connects over a raw socket, subscribes to its desired topic
 * and never reads again while the hub publishes to it. The broker must disconnect it once what waits
 * in its socket passes the bound, and must go on delivering everyone else's messages meanwhile (with
 * aedes' defaults, deliveries to the frozen client hold every delivery slot for its 60 s drain timeout
 * and every other message, heartbeats included, waits behind them).
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../../hub/broker/index.js';
import { silentLogger } from '../../../protocol/logger.js';
import { connect, createStubAuth, eventually, rawConnect, rawSubscribe } from './helpers.js';

const PAYLOAD = 64 * 1024;

describe('broker with a subscriber that does not read', () => {
  let broker: Broker;
  let port: number;
  let registry: Registry;
  const clients: MqttClient[] = [];
  const sockets: Socket[] = [];
  let seen: string[];

  beforeEach(async () => {
    const auth = createStubAuth();
    auth.nodePasswords.set('a', 'pw-a');
    auth.nodePasswords.set('b', 'pw-b');
    registry = new Registry();
    broker = await createBroker({ auth, logger: silentLogger(), maxPayloadBytes: 256 * 1024, outgoing: { maxQueuedBytes: 1024 * 1024 }, metrics: registry });
    ({ port } = await broker.listen('127.0.0.1', 0));
    seen = [];
    broker.subscribe('drover/v1/nodes/+/heartbeat', (topic) => void seen.push(topic));
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await broker.close();
  });

  /** Node a on a raw socket: CONNECT, SUBSCRIBE to its desired topic, and once SUBACK is in, no more reading. */
  async function frozenNode(): Promise<Socket> {
    const socket = netConnect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => undefined); // the broker resets it: that is the point
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Buffer.concat([rawConnect('node-a', 'node:a', 'pw-a'), rawSubscribe('drover/v1/nodes/a/desired', 1)]));
    await new Promise<void>((resolve) => {
      let got = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        // CONNACK (4 bytes) then SUBACK (0x90 ...)
        if (got.length >= 5 && got[4] === 0x90) {
          socket.off('data', onData);
          socket.pause();
          resolve();
        }
      };
      socket.on('data', onData);
    });
    return socket;
  }

  it('disconnects the frozen subscriber past the bound, and other nodes’ heartbeats keep arriving', async () => {
    const frozen = await frozenNode();
    const closed = new Promise<void>((resolve) => frozen.once('close', () => resolve()));
    expect(broker.isNodeConnected('a')).toBe(true);
    // 300 messages of 64 KiB for the frozen node (19 MiB, far past what loopback's socket buffers hold), not awaited
    const sends = Array.from({ length: 300 }, (_, i) => broker.publish('drover/v1/nodes/a/desired', Buffer.alloc(PAYLOAD, i % 256), { qos: 1 }));
    const b = await connect(port, { username: 'node:b', password: 'pw-b', clientId: 'node-b' });
    clients.push(b);
    b.publish('drover/v1/nodes/b/heartbeat', 'hb', { qos: 0 });
    await eventually(() => seen.includes('drover/v1/nodes/b/heartbeat'), 20_000);
    await eventually(() => !broker.isNodeConnected('a'), 20_000);
    frozen.resume(); // let the socket see the reset
    await closed;
    await Promise.all(sends);
    const disconnects = (await registry.getSingleMetric('drover_mqtt_slow_client_disconnects_total')!.get()).values;
    expect(disconnects.reduce((sum, v) => sum + v.value, 0)).toBe(1);
  });

  it('does not make an in-process publisher wait for the frozen subscriber: awaited publishes go on, to other nodes too', async () => {
    const frozen = await frozenNode();
    const b = await connect(port, { username: 'node:b', password: 'pw-b', clientId: 'node-b' });
    clients.push(b);
    const forB: string[] = [];
    b.on('message', (_topic, payload) => void forB.push(payload.toString()));
    await b.subscribeAsync('drover/v1/nodes/b/desired', { qos: 1 });
    // as the fleet's desired publisher does: node after node, each publish awaited (200 x 64 KiB for a:
    // 12.5 MiB, past what loopback's socket buffers hold)
    for (let i = 0; i < 200; i++) {
      await broker.publish('drover/v1/nodes/a/desired', Buffer.alloc(PAYLOAD, i % 256), { qos: 1, retain: true });
      await broker.publish('drover/v1/nodes/b/desired', `set ${i}`, { qos: 1, retain: true });
    }
    await eventually(() => forB.includes('set 199'), 20_000);
    // a's socket took what it could, then it was cut off at its bound (1 MiB here) rather than waited for
    await eventually(() => !broker.isNodeConnected('a'), 20_000);
    frozen.resume();
    const disconnects = (await registry.getSingleMetric('drover_mqtt_slow_client_disconnects_total')!.get()).values;
    expect(disconnects.reduce((sum, v) => sum + v.value, 0)).toBe(1);
    expect(b.connected).toBe(true);
  });
});
