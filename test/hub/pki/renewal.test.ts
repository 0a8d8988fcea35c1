/**
 * Server certificate renewal while running: ensurePki on a clock moved 300 days on issues a new certificate,
 * and the real TLS listeners (the broker's mqtts and the API's HTTPS) present it on the next handshake,
 * signed by the same CA, without a restart.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../../hub/api/index.js';
import { createBroker, type Broker } from '../../../hub/broker/index.js';
import { ensurePki, startCertRenewal, type CertRenewal, type Pki } from '../../../hub/pki/index.js';
import { createSqliteStore } from '../../../hub/store/index.js';
import { silentLogger } from '../../../protocol/logger.js';
import { createFakeAuth } from '../api/support.js';

const DAY = 24 * 60 * 60 * 1000;

/**
 * The leaf certificate a TLS listener presents now. Not verified by the handshake: the renewed one is valid
 * from the test's clock, 300 days ahead of the real one; the test checks its issuer itself.
 */
function presented(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' }, () => {
      const cert = socket.getPeerX509Certificate();
      socket.destroy();
      if (cert) resolve(cert);
      else reject(new Error('no peer certificate'));
    });
    socket.once('error', reject);
  });
}

describe('server certificate renewal', () => {
  let dir: string;
  let now = Date.now();
  let pki: Pki;
  let broker: Broker;
  let api: ApiServer;
  let mqttPort: number;
  let httpPort: number;
  let renewal: CertRenewal;
  const applied: string[] = [];
  let closeStore: () => void;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-renewal-'));
    const logger = silentLogger();
    const pkiOptions = { dataDir: dir, logger, clock: () => now };
    pki = await ensurePki(pkiOptions);
    const tls = { key: pki.serverKeyPem, cert: pki.serverChainPem };
    broker = await createBroker({ auth: { verifyJoinToken: async () => ({ ok: false, reason: 'no' }), verifyNodeCredential: async () => undefined }, logger });
    ({ port: mqttPort } = await broker.listen('127.0.0.1', 0, { tls }));
    const sqlite = await createSqliteStore({ path: join(dir, 'state.db'), logger });
    closeStore = () => sqlite.close();
    api = createApiServer({ tls, store: sqlite, auth: createFakeAuth(), logger });
    ({ port: httpPort } = await api.listen('127.0.0.1', 0));
    renewal = startCertRenewal({
      ensure: () => ensurePki(pkiOptions),
      apply: (next) => {
        applied.push(next.cert);
        broker.setTls(next);
        api.setTls(next);
      },
      current: pki.serverChainPem,
      logger,
    });
  });

  afterAll(async () => {
    renewal?.stop();
    await api?.close();
    await broker?.close();
    closeStore?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('does nothing while the certificate is far from expiry', async () => {
    now += 30 * DAY;
    expect(await renewal.check()).toBe(false);
    expect(applied).toEqual([]);
  });

  it('renews 300 days on, and both listeners present the new certificate from the same CA on the next handshake', async () => {
    const before = await presented(mqttPort);
    expect((await presented(httpPort)).fingerprint256).toBe(before.fingerprint256);

    now += 270 * DAY;
    const [first, second] = await Promise.all([renewal.check(), renewal.check()]);
    expect([first, second]).toEqual([true, true]); // one run, shared
    expect(applied).toHaveLength(1);

    const onDisk = new X509Certificate(await readFile(join(dir, 'pki', 'server.crt')));
    for (const port of [mqttPort, httpPort]) {
      const after = await presented(port);
      expect(after.fingerprint256).not.toBe(before.fingerprint256);
      expect(after.fingerprint256).toBe(onDisk.fingerprint256);
      expect(Date.parse(after.validTo)).toBeGreaterThan(Date.parse(before.validTo));
      expect(after.checkIssued(new X509Certificate(pki.caCertPem))).toBe(true);
    }
    expect(await renewal.check()).toBe(false);
  });
});
