/**
 * The device routes of the hub's listener (hub/api/device-endpoints.ts) on a real API server: /install.sh
 * with its defaults filled in, /ca.crt, /bundles/index.json and bundle downloads with Range, ETag and
 * If-Range, refused methods, names and paths.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { verifyBundleSignature } from '../../../protocol/bundle-signature.js';
import { createApiServer, type ApiServer } from '../../../hub/api/index.js';
import { fillInstallScript } from '../../../hub/api/device-endpoints.js';
import { createBundleCatalogue } from '../../../hub/bundles/index.js';
import { ensurePki, signBundle, type Pki } from '../../../hub/pki/index.js';
import { createSqliteStore } from '../../../hub/store/index.js';
import type { Store } from '../../../hub/store/store.js';
import { createFakeAuth } from './support.js';

const FILE = 'drover-agent-0.2.0-linux-arm64.tar.gz';
const CONTENT = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
const SHA = createHash('sha256').update(CONTENT).digest('hex');

/** A raw request (fetch would normalize the path and hide the headers it sends). */
function raw(port: number, path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('device endpoints', () => {
  let dir: string;
  let pki: Pki;
  let store: Store;
  let server: ApiServer;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-device-files-'));
    const logger = silentLogger();
    pki = await ensurePki({ dataDir: join(dir, 'hub'), logger, host: { hostname: 'hub', addresses: [] } });
    await mkdir(join(dir, 'bundles'));
    await writeFile(join(dir, 'bundles', FILE), CONTENT);
    await writeFile(join(dir, 'bundles', 'drover-agent-0.1.0-linux-arm64.tar.gz'), 'old');
    await writeFile(join(dir, 'bundles', 'drover-agent-0.2.0-linux-amd64.tar.gz'), 'amd');
    await writeFile(join(dir, 'secret.txt'), 'not for devices');
    await writeFile(join(dir, 'install.sh'), '#!/bin/sh\nDROVER_SERVER_DEFAULT=""\nDROVER_MQTT_DEFAULT=""\necho hi\n');
    store = await createSqliteStore({ path: join(dir, 'state.db'), logger });
    server = createApiServer({
      store,
      auth: createFakeAuth(),
      logger,
      deviceFiles: {
        bundles: createBundleCatalogue({ dirs: [join(dir, 'bundles')], sign: (f, s) => signBundle(pki, f, s), logger }),
        caCertPem: pki.caCertPem,
        installScript: join(dir, 'install.sh'),
        mqtt: () => ({ port: 8883, tls: true }),
      },
    });
    ({ port } = await server.listen('127.0.0.1', 0));
  });
  afterAll(async () => {
    await server.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the CA certificate without auth', async () => {
    const res = await raw(port, '/ca.crt');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-pem-file');
    expect(res.body.toString()).toBe(pki.caCertPem);
  });

  it('serves install.sh with this hub as the default, from the Host the device used', async () => {
    const res = await raw(port, '/install.sh', { headers: { host: '10.9.8.7:7443' } });
    expect(res.status).toBe(200);
    const text = res.body.toString();
    expect(text).toContain('DROVER_SERVER_DEFAULT="http://10.9.8.7:7443"\n');
    expect(text).toContain('DROVER_MQTT_DEFAULT="mqtts://10.9.8.7:8883"\n');
    const v6 = (await raw(port, '/install.sh', { headers: { host: '[fd00::1]:7070' } })).body.toString();
    expect(v6).toContain('DROVER_MQTT_DEFAULT="mqtts://[fd00::1]:8883"');
  });

  it('leaves the defaults empty for a Host header that is not a plain host (nothing of it reaches the script)', async () => {
    const text = (await raw(port, '/install.sh', { headers: { host: 'x";rm -rf /;"' } })).body.toString();
    expect(text).toContain('DROVER_SERVER_DEFAULT=""\n');
    expect(text).not.toContain('rm -rf');
    expect(fillInstallScript('DROVER_SERVER_DEFAULT=""\n', {})).toBe('DROVER_SERVER_DEFAULT=""\n');
  });

  it('lists the bundles newest first with signatures the CA verifies; ?arch= filters; an unknown arch is a clear 404', async () => {
    const all = JSON.parse((await raw(port, '/bundles/index.json')).body.toString()) as { file: string; sha256: string; signature: string; size: number; path?: string }[];
    expect(all.map((b) => b.file)).toEqual(['drover-agent-0.2.0-linux-amd64.tar.gz', FILE, 'drover-agent-0.1.0-linux-arm64.tar.gz']);
    expect(all[1]).toEqual({ version: '0.2.0', arch: 'arm64', file: FILE, size: 1000, sha256: SHA, signature: expect.any(String) });
    expect(verifyBundleSignature(pki.caCertPem, FILE, SHA, all[1]!.signature)).toBe(true);
    const arm = JSON.parse((await raw(port, '/bundles/index.json?arch=arm64')).body.toString()) as { version: string }[];
    expect(arm.map((b) => b.version)).toEqual(['0.2.0', '0.1.0']);
    const mips = await raw(port, '/bundles/index.json?arch=mips');
    expect(mips.status).toBe(404);
    expect(JSON.parse(mips.body.toString()).message).toMatch(/no agent bundle for architecture "mips".*the hub has bundles for amd64, arm64/);
    const armv7 = await raw(port, '/bundles/drover-agent-0.2.0-linux-armv7.tar.gz');
    expect(armv7.status).toBe(404);
    expect(JSON.parse(armv7.body.toString()).message).toMatch(/architecture "armv7"/);
  });

  it('serves a whole bundle with its ETag and Accept-Ranges; HEAD has the headers only', async () => {
    const res = await raw(port, `/bundles/${FILE}`);
    expect(res.status).toBe(200);
    expect(res.body.equals(CONTENT)).toBe(true);
    expect(res.headers).toMatchObject({ etag: `"${SHA}"`, 'accept-ranges': 'bytes', 'content-length': '1000', 'content-type': 'application/gzip' });
    const head = await raw(port, `/bundles/${FILE}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('1000');
    expect(head.body.length).toBe(0);
  });

  it('answers single ranges with 206 and Content-Range', async () => {
    const mid = await raw(port, `/bundles/${FILE}`, { headers: { range: 'bytes=100-199' } });
    expect(mid.status).toBe(206);
    expect(mid.headers['content-range']).toBe('bytes 100-199/1000');
    expect(mid.body.equals(CONTENT.subarray(100, 200))).toBe(true);
    const rest = await raw(port, `/bundles/${FILE}`, { headers: { range: 'bytes=990-' } });
    expect(rest.status).toBe(206);
    expect(rest.body.equals(CONTENT.subarray(990))).toBe(true);
    const suffix = await raw(port, `/bundles/${FILE}`, { headers: { range: 'bytes=-5' } });
    expect(suffix.headers['content-range']).toBe('bytes 995-999/1000');
    expect(suffix.body.equals(CONTENT.subarray(995))).toBe(true);
    const past = await raw(port, `/bundles/${FILE}`, { headers: { range: 'bytes=900-5000' } });
    expect(past.headers['content-range']).toBe('bytes 900-999/1000');
  });

  it('answers a range past the end with 416 and the size; several ranges with the whole file', async () => {
    const res = await raw(port, `/bundles/${FILE}`, { headers: { range: 'bytes=1000-' } });
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe('bytes */1000');
    const multi = await raw(port, `/bundles/${FILE}`, { headers: { range: 'bytes=0-1,5-6' } });
    expect(multi.status).toBe(200);
    expect(multi.body.length).toBe(1000);
  });

  it('honours If-Range only for the current ETag (a resumed download never splices two files), and If-None-Match', async () => {
    const same = await raw(port, `/bundles/${FILE}`, { headers: { range: 'bytes=500-', 'if-range': `"${SHA}"` } });
    expect(same.status).toBe(206);
    expect(same.body.length).toBe(500);
    const other = await raw(port, `/bundles/${FILE}`, { headers: { range: 'bytes=500-', 'if-range': `"${'0'.repeat(64)}"` } });
    expect(other.status).toBe(200);
    expect(other.body.equals(CONTENT)).toBe(true);
    const dated = await raw(port, `/bundles/${FILE}`, { headers: { range: 'bytes=500-', 'if-range': 'Wed, 21 Oct 2015 07:28:00 GMT' } });
    expect(dated.status).toBe(200);
    const cached = await raw(port, `/bundles/${FILE}`, { headers: { 'if-none-match': `"${SHA}"` } });
    expect(cached.status).toBe(304);
    expect(cached.body.length).toBe(0);
  });

  it('refuses path traversal and anything that is not a bundle name', async () => {
    for (const path of ['/bundles/..%2Fsecret.txt', '/bundles/sub/' + FILE, '/bundles/', '/bundles/secret.txt', `/bundles/${FILE}.sha256`, '/bundles/..%2F..%2Fhub%2Fpki%2Fca.key']) {
      const res = await raw(port, path);
      expect(res.status, path).toBe(404);
      expect(res.body.toString(), path).not.toContain('not for devices');
      expect(res.body.toString(), path).not.toContain('PRIVATE KEY');
    }
    // a dot-segment path is resolved before routing: it leaves /bundles/ and reaches the API, which asks for a token
    for (const path of ['/bundles/../secret.txt', '/bundles/%2e%2e/secret.txt']) {
      const dotted = await raw(port, path);
      expect([401, 404], path).toContain(dotted.status);
      expect(dotted.body.toString(), path).not.toContain('not for devices');
    }
  });

  it('is read-only', async () => {
    const res = await raw(port, `/bundles/${FILE}`, { method: 'PUT' });
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect((await raw(port, '/install.sh', { method: 'POST' })).status).toBe(405);
  });
});
