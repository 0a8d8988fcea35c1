import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBroker, type Broker, type BrokerAuth } from '../../../hub/broker/index.js';
import { ensurePki, type Pki } from '../../../hub/pki/index.js';
import { silentLogger } from '../../../protocol/logger.js';

/** Tokens: "pinned" verifies as carrying the CA hash, "bare" as a bare token. */
const auth: BrokerAuth = {
  async verifyJoinToken(token) {
    if (token === 'pinned') return { ok: true, id: 'tok1', pinned: true };
    if (token === 'bare') return { ok: true, id: 'tok2', pinned: false };
    return { ok: false, reason: 'unknown' };
  },
  async verifyNodeCredential(username, password) {
    return username === 'node:tls-a' && password === 'pw-a' ? 'tls-a' : undefined;
  },
};

describe('broker over TLS (mqtts)', () => {
  let dir: string;
  let pki: Pki;
  let broker: Broker;
  let tlsPort: number;
  let plainPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-broker-tls-'));
    pki = await ensurePki({ dataDir: dir, logger: silentLogger() });
    broker = await createBroker({ auth, logger: silentLogger() });
    ({ port: tlsPort } = await broker.listen('127.0.0.1', 0, { tls: { key: pki.serverKeyPem, cert: pki.serverChainPem } }));
    ({ port: plainPort } = await broker.listen('127.0.0.1', 0));
  });
  afterAll(async () => {
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function tryConnect(url: string, options: IClientOptions): Promise<MqttClient | Error> {
    try {
      return await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    } catch (err) {
      return err as Error;
    }
  }

  it('serves a client that trusts the hub CA, with hostname checks against the certificate', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const c = await tryConnect(`mqtts://${host}:${tlsPort}`, { ca: pki.caCertPem, username: 'node:tls-a', password: 'pw-a', clientId: 'node-tls-a' });
      expect(c).not.toBeInstanceOf(Error);
      const client = c as MqttClient;
      expect(client.connected).toBe(true);
      expect(broker.isNodeConnected('tls-a')).toBe(true);
      await client.endAsync(true);
    }
  });

  it('is refused by a client that does not trust the hub CA (self-signed chain)', async () => {
    const c = await tryConnect(`mqtts://127.0.0.1:${tlsPort}`, { username: 'node:tls-a', password: 'pw-a', clientId: 'node-tls-a' });
    expect(c).toBeInstanceOf(Error);
    expect(String((c as NodeJS.ErrnoException).code ?? (c as Error).message)).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|self.signed/i);
  });

  it('presents the CA after the server certificate, so a device can check the CA hash', async () => {
    expect(pki.serverChainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(pki.serverChainPem.endsWith(pki.caCertPem)).toBe(true);
  });

  it('accepts a join token carrying the CA hash over TLS, and a bare one only over plain loopback', async () => {
    const pinned = await tryConnect(`mqtts://127.0.0.1:${tlsPort}`, { ca: pki.caCertPem, username: 'join', password: 'pinned', clientId: 'join-tls-1' });
    expect(pinned).not.toBeInstanceOf(Error);
    await (pinned as MqttClient).endAsync(true);

    const bareTls = await tryConnect(`mqtts://127.0.0.1:${tlsPort}`, { ca: pki.caCertPem, username: 'join', password: 'bare', clientId: 'join-tls-2' });
    expect(bareTls).toBeInstanceOf(Error);
    expect((bareTls as { code?: number }).code).toBe(5);

    const barePlain = await tryConnect(`mqtt://127.0.0.1:${plainPort}`, { username: 'join', password: 'bare', clientId: 'join-tls-3' });
    expect(barePlain).not.toBeInstanceOf(Error);
    await (barePlain as MqttClient).endAsync(true);
  });
});
