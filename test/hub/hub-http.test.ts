/** createHub's API listener (HTTPS on every address unless asked otherwise) and where it writes the admin's CLI config. */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaFetch } from '../../hub/cli/tls-fetch.js';
import { InvalidHubOptionError } from '../../hub/hub-errors.js';
import { createHub, type HubOptions } from '../../hub/hub.js';
import { silentLogger } from '../../protocol/logger.js';
import { verifyBundleSignature } from '../../protocol/bundle-signature.js';

describe('createHub: the API listener and the CLI config', () => {
  let dir: string;
  const options = (dataDir: string, extra: Partial<HubOptions> = {}): HubOptions => ({
    dataDir: join(dir, dataDir),
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
    logger: silentLogger(),
    ...extra,
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-hub-http-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves HTTPS on loopback by default, verified against its own CA', async () => {
    const hub = await createHub(options('tls'));
    try {
      expect(hub.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      await expect(fetch(`${hub.httpUrl}/healthz`)).rejects.toThrow();
      const res = await createCaFetch(await readFile(hub.caCertPath, 'utf8'))(`${hub.httpUrl}/healthz`);
      expect(res.status).toBe(200);
    } finally {
      await hub.close();
    }
  });

  it('serves devices their files on the HTTPS listener without auth: the CA, install.sh, the bundles of <data dir>/bundles and the extra dirs', async () => {
    const extra = join(dir, 'shipped-bundles');
    await mkdir(extra, { recursive: true });
    await writeFile(join(extra, 'drover-agent-0.1.0-linux-amd64.tar.gz'), 'shipped');
    await mkdir(join(dir, 'devices', 'bundles'), { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'devices', 'bundles', 'drover-agent-0.2.0-linux-amd64.tar.gz'), 'copied in');
    const hub = await createHub(options('devices', { bundleDirs: [extra] }));
    try {
      const caFetch = createCaFetch(await readFile(hub.caCertPath, 'utf8'));
      expect(await (await caFetch(`${hub.httpUrl}/ca.crt`)).text()).toBe(await readFile(hub.caCertPath, 'utf8'));
      const index = (await (await caFetch(`${hub.httpUrl}/bundles/index.json`)).json()) as { file: string; signature: string; sha256: string }[];
      expect(index.map((b) => b.file)).toEqual(['drover-agent-0.2.0-linux-amd64.tar.gz', 'drover-agent-0.1.0-linux-amd64.tar.gz']);
      expect(verifyBundleSignature(await readFile(hub.caCertPath, 'utf8'), index[0]!.file, index[0]!.sha256, index[0]!.signature)).toBe(true);
      const part = await caFetch(`${hub.httpUrl}/bundles/drover-agent-0.1.0-linux-amd64.tar.gz`, { headers: { range: 'bytes=4-' } });
      expect(part.status).toBe(206);
      expect(await part.text()).toBe('ped');
      const script = await (await caFetch(`${hub.httpUrl}/install.sh`)).text();
      expect(script).toContain(`DROVER_SERVER_DEFAULT="${hub.httpUrl}"`);
      expect(script).toContain(`DROVER_MQTT_DEFAULT="${hub.mqttUrl}"`);
    } finally {
      await hub.close();
    }
  });

  it('serves plain HTTP when asked (httpTls: false, --insecure-http), on loopback only', async () => {
    const hub = await createHub(options('plain', { httpTls: false }));
    try {
      expect(hub.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${hub.httpUrl}/healthz`)).status).toBe(200);
    } finally {
      await hub.close();
    }
    await expect(createHub(options('plain-lan', { httpTls: false, http: { host: '0.0.0.0', port: 0 } }))).rejects.toThrow(InvalidHubOptionError);
  });

  it("writes the user's CLI config when there is none or it is its own; a second hub writes only into its data dir", async () => {
    const configPath = join(dir, 'home', '.drover', 'config.json');
    const first = await createHub(options('first', { configPath }));
    await first.close();
    const written = await readFile(configPath, 'utf8');
    expect(JSON.parse(written)).toMatchObject({ server: first.httpUrl, token: first.adminToken, certificateAuthority: first.caCertPath });
    expect(first).toMatchObject({ configPath, otherHubConfig: undefined });

    const second = await createHub(options('second', { configPath }));
    await second.close();
    expect(await readFile(configPath, 'utf8')).toBe(written);
    expect(second).toMatchObject({ configPath: join(dir, 'second', 'cli-config.json'), ownConfigPath: join(dir, 'second', 'cli-config.json'), otherHubConfig: configPath });
    expect(JSON.parse(await readFile(second.ownConfigPath, 'utf8'))).toMatchObject({ server: second.httpUrl, token: second.adminToken });

    // the first hub again: its own config (its CA), so brought up to date (a stale server and scheme)
    await writeFile(configPath, JSON.stringify({ server: 'http://127.0.0.1:1', token: first.adminToken, certificateAuthority: first.caCertPath }));
    const again = await createHub(options('first', { configPath }));
    await again.close();
    expect(JSON.parse(await readFile(configPath, 'utf8'))).toMatchObject({ server: again.httpUrl, certificateAuthority: first.caCertPath });
    expect(again.httpUrl).toMatch(/^https:/);
  });
});
