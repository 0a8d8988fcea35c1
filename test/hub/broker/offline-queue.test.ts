/**
 * No offline queue: a node with a persistent session that goes away does not make the hub keep every
 * message published for it meanwhile; coming back and subscribing again, it gets the latest retained
 * one, which is all the protocol needs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../../hub/broker/index.js';
import { dropOfflineQueue } from '../../../hub/broker/offline-queue.js';
import { silentLogger } from '../../../protocol/logger.js';
import { collect, connect, createStubAuth, eventually, sleep } from './helpers.js';

describe('dropOfflineQueue', () => {
  it('passes on only the subscriptions of connected clients', async () => {
    const calls: string[][] = [];
    const persistence = {
      outgoingEnqueueCombi(subs: { clientId: string }[], _packet?: unknown) {
        calls.push(subs.map((s) => s.clientId));
        return Promise.resolve();
      },
    };
    dropOfflineQueue(persistence, (id) => id === 'node-on');
    await persistence.outgoingEnqueueCombi([{ clientId: 'node-on' }, { clientId: 'node-off' }], {});
    expect(calls).toEqual([['node-on']]);
  });
});

describe('broker: a persistent session away', () => {
  let broker: Broker;
  let port: number;

  beforeEach(async () => {
    const auth = createStubAuth();
    auth.nodePasswords.set('a', 'pw-a');
    broker = await createBroker({ auth, logger: silentLogger() });
    ({ port } = await broker.listen('127.0.0.1', 0));
  });
  afterEach(async () => {
    await broker.close();
  });

  const options = { username: 'node:a', password: 'pw-a', clientId: 'node-a', clean: false } as const;

  it('queues nothing while it is away; back and subscribed again, it gets the latest set only', async () => {
    const first = await connect(port, options);
    await first.subscribeAsync('drover/v1/nodes/a/desired', { qos: 1 });
    await first.endAsync();
    await eventually(() => !broker.isNodeConnected('a'));
    for (let i = 0; i < 50; i++) await broker.publish('drover/v1/nodes/a/desired', `set-${i}`, { qos: 1, retain: true });

    const back = await connect(port, options);
    const got = collect(back);
    expect(back.connected).toBe(true);
    await back.subscribeAsync('drover/v1/nodes/a/desired', { qos: 1 });
    await eventually(() => got.length > 0);
    await sleep(200); // anything queued would have followed the session's resumption by now
    expect(got.map((m) => m.payload)).toEqual(['set-49']);
    // and while connected, a QoS 1 message arrives as ever
    await broker.publish('drover/v1/nodes/a/desired', 'set-50', { qos: 1, retain: true });
    await eventually(() => got.length === 2);
    expect(got.map((m) => m.payload)).toEqual(['set-49', 'set-50']);
    await back.endAsync();
  });
});
