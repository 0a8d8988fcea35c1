import { createServer, type Server } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Aedes } from 'aedes';
import type { MqttClient } from 'mqtt';
import { createBroker, type Broker } from '../../../hub/broker/index.js';
import { createBrokerPersistence, type IndexedMemoryPersistence } from '../../../hub/broker/persistence.js';
import { silentLogger } from '../../../protocol/logger.js';
import { collect, connect, createStubAuth, eventually, sleep } from './helpers.js';

const clients: MqttClient[] = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
  for (const close of closers.splice(0).reverse()) await close();
});

/** A bare aedes (no ACL: wildcards allowed) on loopback, with the given persistence or aedes' own. */
async function bareBroker(persistence?: IndexedMemoryPersistence): Promise<number> {
  const aedes = await Aedes.createBroker(persistence ? { persistence } : {});
  const server: Server = createServer(aedes.handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as { port: number }).port;
}

async function client(port: number, extra: Parameters<typeof connect>[1] = {}): Promise<MqttClient> {
  const c = await connect(port, extra);
  clients.push(c);
  return c;
}

/** Publish a scripted history of retained messages, then collect what each filter's subscriber is sent. */
async function retainedSeen(port: number, filters: string[]): Promise<Record<string, string[]>> {
  const pub = await client(port);
  const history: Array<[string, string, 0 | 1]> = [
    ['drover/v1/nodes/a/desired', 'a1', 1],
    ['drover/v1/nodes/a/desired', 'a2', 1],
    ['drover/v1/nodes/a/presence', 'online', 1],
    ['drover/v1/nodes/b/desired', 'b1', 1],
    ['drover/v1/nodes/b/network', 'n1', 0],
    ['drover/v1/nodes/b/network', '', 0], // deleted again
    ['drover/v1/nodes/c/desired', 'c1', 1],
    ['drover/v1/nodes/c/desired', '', 1], // deleted again
    ['a', 'top', 0],
    ['a//b', 'empty level', 0],
  ];
  for (const [topic, payload, qos] of history) await pub.publishAsync(topic, payload, { retain: true, qos });
  const out: Record<string, string[]> = {};
  for (const filter of filters) {
    const sub = await client(port);
    const got = collect(sub);
    await sub.subscribeAsync(filter, { qos: 1 });
    await sleep(100);
    out[filter] = got.filter((m) => m.retain).map((m) => `${m.topic}=${m.payload}`).sort();
  }
  return out;
}

describe('broker persistence (retained messages indexed by topic)', () => {
  it('sends a subscriber the same retained messages as aedes memory persistence, over real MQTT clients', async () => {
    const filters = ['drover/v1/nodes/a/desired', 'drover/v1/nodes/b/network', 'drover/v1/nodes/c/desired', 'drover/v1/nodes/+/desired', 'drover/#', '#', 'a/#', '+/+/b', 'nothing'];
    const persistence = createBrokerPersistence();
    const ours = await retainedSeen(await bareBroker(persistence), filters);
    const theirs = await retainedSeen(await bareBroker(), filters);
    expect(ours).toEqual(theirs);
    expect(ours['drover/v1/nodes/a/desired']).toEqual(['drover/v1/nodes/a/desired=a2']);
    expect(ours['drover/v1/nodes/b/network']).toEqual([]);
    expect(ours['drover/v1/nodes/+/desired']).toEqual(['drover/v1/nodes/a/desired=a2', 'drover/v1/nodes/b/desired=b1']);
    expect(persistence.retained.size).toBe(5);
  });

  it("the hub's broker delivers a node its retained desired set on subscribe without looking at the others", async () => {
    const auth = createStubAuth();
    auth.nodePasswords.set('n7', 'pw');
    const persistence = createBrokerPersistence();
    const broker: Broker = await createBroker({ auth, logger: silentLogger(), persistence });
    closers.push(() => broker.close());
    const { port } = await broker.listen('127.0.0.1', 0);
    for (let i = 0; i < 2000; i++) await broker.publish(`drover/v1/nodes/n${i}/desired`, `set ${i}`, { retain: true, qos: 1 });
    const node = await client(port, { username: 'node:n7', password: 'pw', clientId: 'node-n7' });
    const got = collect(node);
    await node.subscribeAsync('drover/v1/nodes/n7/desired', { qos: 1 });
    await eventually(() => got.length === 1);
    expect(got[0]).toEqual({ topic: 'drover/v1/nodes/n7/desired', payload: 'set 7', retain: true });
    // of the 2000 retained messages, the subscription looked at one
    expect(persistence.retained.visited).toBe(1);
    // an empty retained payload deletes: a new session gets nothing
    await broker.publish('drover/v1/nodes/n7/desired', '', { retain: true, qos: 1 });
    await node.endAsync(true);
    const again = await client(port, { username: 'node:n7', password: 'pw', clientId: 'node-n7' });
    const gotAgain = collect(again);
    await again.subscribeAsync('drover/v1/nodes/n7/desired', { qos: 1 });
    await sleep(100);
    expect(gotAgain.filter((m) => m.payload !== '')).toEqual([]);
  });
});
