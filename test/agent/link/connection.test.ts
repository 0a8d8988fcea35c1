import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createNodeConnection, reconnectDelay } from '../../../agent/link/connection.js';
import { startFakeHub, type FakeHub } from '../fake-hub.js';
import { waitUntil } from '../helpers.js';

describe('node connection', () => {
  it('reconnect delays double from min to max, with 50-100% jitter', () => {
    expect([0, 1, 2, 3, 10].map((n) => reconnectDelay(n, 1000, 30_000, () => 0.999999))).toEqual([1000, 2000, 4000, 8000, 30000]);
    expect(reconnectDelay(2, 1000, 30_000, () => 0)).toBe(2000);
  });

  describe('against a real broker', () => {
    let hub: FakeHub;
    beforeAll(async () => {
      hub = await startFakeHub();
      hub.passwords.set('n1', 'pw');
    });
    afterAll(async () => hub.close());

    it('logs a clear error when the hub refuses the node\'s credentials, and keeps retrying', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
      const conn = createNodeConnection({
        credentials: { nodeName: 'n1', username: 'node:n1', password: 'revoked', hubUrl: hub.url },
        logger,
        reconnectMinMs: 20,
        reconnectMaxMs: 50,
      });
      conn.start();
      await waitUntil('refusal logged', () => lines.find((l) => l.includes('refused this node')));
      // fix the credential on the hub side: the next attempt connects
      hub.passwords.set('n1', 'revoked');
      await waitUntil('connected', () => conn.isConnected());
      await conn.stop();
      expect(hub.presence.at(-1)).toMatchObject({ state: 'offline' });
      expect(lines.some((l) => l.includes('delete credentials.json'))).toBe(true);
    });
  });
});
