/**
 * Failed-login back-off: the counter on its own with a fake clock, and a real broker that, after too
 * many failures from one address, answers further failures late while the right password from that
 * same address is still accepted at once, and so is another node's.
 */
import { createConnection } from 'node:net';
import { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthThrottle } from '../../../hub/broker/auth-throttle.js';
import { createBroker, type Broker } from '../../../hub/broker/index.js';
import { connect, connectRefused, createStubAuth, type StubAuth } from './helpers.js';

describe('createAuthThrottle', () => {
  const opts = { maxFailures: 3, maxAddressFailures: 10, windowMs: 1000, baseDelayMs: 100, maxDelayMs: 400, forgetAfterMs: 5000 };

  it('holds back failures of one username from one address past the limit, doubling up to the maximum', () => {
    let now = 0;
    const t = createAuthThrottle({ ...opts, clock: () => now });
    const delays = [];
    for (let i = 0; i < 6; i++) delays.push(t.recordFailure('10.0.0.1', 'node:a').delayMs);
    expect(delays).toEqual([0, 0, 0, 100, 200, 400]);
    expect(t.recordFailure('10.0.0.1', 'node:a')).toEqual({ delayMs: 400, startedBackOff: false });
    // the same address, another username (a neighbour behind the NAT): not held back
    expect(t.recordFailure('10.0.0.1', 'node:b').delayMs).toBe(0);
    // the same username from elsewhere: not held back
    expect(t.recordFailure('10.0.0.2', 'node:a').delayMs).toBe(0);
    now = 4999;
    expect(t.recordFailure('10.0.0.1', 'node:a').delayMs).toBe(400);
    now = 4999 + 5000;
    expect(t.recordFailure('10.0.0.1', 'node:a').delayMs).toBe(0); // quiet for forgetAfterMs: afresh
  });

  it('says when a key starts backing off (logged at warn once)', () => {
    const t = createAuthThrottle({ ...opts, clock: () => 0 });
    const started = [];
    for (let i = 0; i < 5; i++) started.push(t.recordFailure('10.0.0.1', 'u').startedBackOff);
    expect(started).toEqual([false, false, false, true, false]);
  });

  it('a success forgets the failures of that username from that address', () => {
    const t = createAuthThrottle({ ...opts, clock: () => 0 });
    for (let i = 0; i < 5; i++) t.recordFailure('10.0.0.1', 'node:a');
    t.recordSuccess('10.0.0.1', 'node:a');
    expect(t.recordFailure('10.0.0.1', 'node:a').delayMs).toBe(0);
  });

  it('counts an address over every username too: rotating usernames is held back past maxAddressFailures', () => {
    const t = createAuthThrottle({ ...opts, clock: () => 0 });
    const delays = [];
    for (let i = 0; i < 12; i++) delays.push(t.recordFailure('10.0.0.1', `node:x${i}`).delayMs);
    expect(delays.slice(0, 10).every((d) => d === 0)).toBe(true);
    expect(delays.slice(10)).toEqual([100, 200]);
  });

  it('failures spread wider than the window never back off', () => {
    let now = 0;
    const t = createAuthThrottle({ ...opts, clock: () => now });
    for (let i = 0; i < 10; i++) {
      now += 600;
      expect(t.recordFailure('10.0.0.1', 'node:a').delayMs).toBe(0);
    }
  });

  it('remembers at most maxTracked keys, forgetting the oldest', () => {
    const t = createAuthThrottle({ ...opts, maxFailures: 0, maxTracked: 4, clock: () => 0 });
    for (const a of ['a', 'b', 'c', 'd', 'e']) t.recordFailure(a, 'u');
    expect(t.size()).toBe(4);
    // a's key was forgotten: its next failure is its first again (held back only by maxFailures 0)
    expect(t.recordFailure('a', 'u')).toEqual({ delayMs: 100, startedBackOff: true });
  });
});

describe('broker with a failed-login limit', () => {
  let broker: Broker;
  let port: number;
  let auth: StubAuth;
  let logs: { msg?: string; reason?: string }[];
  let checks = 0;

  beforeEach(async () => {
    auth = createStubAuth();
    auth.nodePasswords.set('a', 'pw-a');
    const verify = auth.verifyNodeCredential.bind(auth);
    auth.verifyNodeCredential = (u, p) => {
      checks++;
      return verify(u, p);
    };
    logs = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg?: string }) });
    broker = await createBroker({ auth, logger, authFailureLimit: { maxFailures: 3, windowMs: 60_000, baseDelayMs: 2_000, maxDelayMs: 2_000 } });
    ({ port } = await broker.listen('127.0.0.1', 0));
  });
  afterEach(async () => {
    await broker.close();
  });

  /** Log in as node a from 127.0.0.2: a second loopback address, so a second remote address. */
  function connectFrom127002(): Promise<MqttClient> {
    return new Promise((resolve, reject) => {
      const client = new MqttClient(() => createConnection({ host: '127.0.0.1', port, localAddress: '127.0.0.2' }), {
        username: 'node:a',
        password: 'pw-a',
        clientId: 'node-a',
        reconnectPeriod: 0,
        connectTimeout: 5000,
        protocolVersion: 4,
      });
      client.once('connect', () => resolve(client));
      client.once('error', reject);
    });
  }

  it('after 3 wrong passwords the next failure is answered late, yet the right password from the same address is accepted', async () => {
    for (let i = 0; i < 3; i++) expect(await connectRefused(port, { username: 'node:a', password: 'wrong', clientId: 'node-a' })).toBe(5);
    const checksBefore = checks;
    const refusedLate = connectRefused(port, { username: 'node:a', password: 'wrong', clientId: 'node-a' });
    // while that refusal is held back, the genuine node (same address, same username) logs in
    const genuine = await connect(port, { username: 'node:a', password: 'pw-a', clientId: 'node-a' });
    expect(genuine.connected).toBe(true);
    expect(checks).toBe(checksBefore + 2); // every login is checked
    await genuine.endAsync(true);
    expect(await refusedLate).toBe(5);
    expect(logs.some((l) => l.msg?.includes('answered late from now on'))).toBe(true);
  });

  it('a neighbour behind the same address (another username) is never held back', async () => {
    auth.nodePasswords.set('b', 'pw-b');
    for (let i = 0; i < 3; i++) await connectRefused(port, { username: 'node:a', password: 'wrong', clientId: 'node-a' });
    const late = [0, 1, 2].map(() => connectRefused(port, { username: 'node:a', password: 'wrong', clientId: 'node-a' }));
    const b = await connect(port, { username: 'node:b', password: 'pw-b', clientId: 'node-b' });
    expect(b.connected).toBe(true);
    await b.endAsync(true);
    expect(await Promise.all(late)).toEqual([5, 5, 5]);
  });

  it('the right password from another address logs in too', async () => {
    for (let i = 0; i < 4; i++) await connectRefused(port, { username: 'node:a', password: 'wrong', clientId: 'node-a' });
    const other = await connectFrom127002();
    expect(other.connected).toBe(true);
    expect(broker.isNodeConnected('a')).toBe(true);
    await other.endAsync(true);
  });
});
