/**
 * Failed-login throttling: the counter on its own with a fake clock, and a real broker refusing an
 * address after too many failures, even with the right password, while another address (127.0.0.2, a
 * loopback address too) still logs in.
 */
import { createConnection } from 'node:net';
import { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuthThrottle } from '../../../hub/broker/auth-throttle.js';
import { createBroker, type Broker } from '../../../hub/broker/index.js';
import { connectRefused, createStubAuth, type StubAuth } from './helpers.js';

describe('createAuthThrottle', () => {
  it('blocks an address after maxFailures within the window, for blockMs, and only that address', () => {
    let now = 0;
    const t = createAuthThrottle({ maxFailures: 3, windowMs: 1000, blockMs: 5000, clock: () => now });
    t.recordFailure('10.0.0.1');
    t.recordFailure('10.0.0.1');
    expect(t.blockedForMs('10.0.0.1')).toBe(0);
    now = 500;
    t.recordFailure('10.0.0.1');
    expect(t.blockedForMs('10.0.0.1')).toBe(5000);
    expect(t.blockedForMs('10.0.0.2')).toBe(0);
    now = 5499;
    expect(t.blockedForMs('10.0.0.1')).toBe(1);
    now = 5500;
    expect(t.blockedForMs('10.0.0.1')).toBe(0);
  });

  it('failures spread wider than the window never block', () => {
    let now = 0;
    const t = createAuthThrottle({ maxFailures: 3, windowMs: 1000, blockMs: 5000, clock: () => now });
    for (let i = 0; i < 10; i++) {
      now += 600;
      t.recordFailure('10.0.0.1');
      if (i % 2 === 1) expect(t.blockedForMs('10.0.0.1')).toBe(0);
    }
  });

  it('remembers at most maxTracked addresses, forgetting the oldest', () => {
    const t = createAuthThrottle({ maxFailures: 1, blockMs: 5000, maxTracked: 2, clock: () => 0 });
    for (const a of ['a', 'b', 'c']) t.recordFailure(a);
    expect(['a', 'b', 'c'].map((a) => t.blockedForMs(a))).toEqual([0, 5000, 5000]);
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
    broker = await createBroker({ auth, logger, authFailureLimit: { maxFailures: 3, windowMs: 60_000, blockMs: 60_000 } });
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

  it('after 3 wrong passwords the address is refused even with the right one; another address is not', async () => {
    for (let i = 0; i < 3; i++) expect(await connectRefused(port, { username: 'node:a', password: 'wrong', clientId: 'node-a' })).toBe(5);
    const checksBefore = checks;
    expect(await connectRefused(port, { username: 'node:a', password: 'pw-a', clientId: 'node-a' })).toBe(5);
    expect(logs.at(-1)?.reason).toMatch(/^too many failed logins from 127\.0\.0\.1; refused for another \d+ s$/);
    expect(checks).toBe(checksBefore); // the credentials were not even looked at

    const other = await connectFrom127002();
    expect(other.connected).toBe(true);
    expect(broker.isNodeConnected('a')).toBe(true);
    await other.endAsync(true);
  });
});
