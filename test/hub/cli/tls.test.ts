/** The CLI against a hub serving its API over HTTPS with its own CA: trusted through the config file. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIO } from '../../../hub/cli/io.js';
import { runCli } from '../../../hub/cli/program.js';
import { createHub, type Hub } from '../../../hub/hub.js';
import { silentLogger } from '../../../protocol/logger.js';

describe('drover CLI over HTTPS', () => {
  let dir: string;
  let hub: Hub;
  let configPath: string;
  const drover = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const io = captureIO({ env: { DROVER_CONFIG: configPath, ...env } });
    const code = await runCli(args, io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-cli-tls-'));
    configPath = join(dir, 'config.json');
    hub = await createHub({
      dataDir: join(dir, 'hub'),
      http: { host: '127.0.0.1', port: 0 },
      httpTls: true,
      mqtt: { host: '127.0.0.1', port: 0 },
      mqttTls: true,
      logger: silentLogger(),
      configPath,
    });
  });
  afterAll(async () => {
    await hub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the hub writes the CA path into the CLI config and serves https/mqtts', async () => {
    expect(hub.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(hub.mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { server: string; certificateAuthority: string };
    expect(config.server).toBe(hub.httpUrl);
    expect(config.certificateAuthority).toBe(hub.caCertPath);
  });

  it('talks to the hub trusting the CA named in the config', async () => {
    const r = await drover(['get', 'nodes', '-o', 'json']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'List' });
  });

  it('refuses the hub when the CA is not known (explicit --server without the config)', async () => {
    const r = await drover(['get', 'nodes', '--server', hub.httpUrl, '--token', hub.adminToken], { DROVER_CONFIG: join(dir, 'missing.json') });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/certificate/i);
  });

  it('trusts DROVER_CA_FILE', async () => {
    const r = await drover(['get', 'nodes', '--server', hub.httpUrl, '--token', hub.adminToken], {
      DROVER_CONFIG: join(dir, 'missing.json'),
      DROVER_CA_FILE: hub.caCertPath,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('No resources found.\n');
  });

  it('token create prints a K10 token carrying the CA hash; list and revoke work', async () => {
    const created = await drover(['token', 'create', '--ttl', '10m', '--single-use', '--description', 'tls test']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(new RegExp(`^K10${hub.caFingerprint}::drover-join\\.([a-z0-9]{6})\\.[a-z0-9]{32}$`));
    const id = /drover-join\.([a-z0-9]{6})\./.exec(token)![1]!;
    const listed = await drover(['token', 'list']);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).toContain('single-use');
    expect((await drover(['token', 'revoke', id])).stdout).toBe(`join token "${id}" revoked\n`);
    expect((await drover(['token', 'list'])).stdout).not.toContain(id);
  });

  it('apply and delete (a DELETE with a body) work over https', async () => {
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tls-cm\ndata:\n  a: "1"\n';
    const io = captureIO({ env: { DROVER_CONFIG: configPath }, stdin: cm });
    expect(await runCli(['apply', '-f', '-'], io)).toBe(0);
    expect(io.stdout()).toBe('configmap/tls-cm created\n');
    const deleted = await drover(['delete', 'configmap', 'tls-cm']);
    expect(deleted).toMatchObject({ code: 0, stdout: 'configmap "tls-cm" deleted\n' });
    expect((await drover(['get', 'configmap', 'tls-cm'])).code).toBe(1);
  });

  it('node delete: a missing node is an error unless --ignore-not-found', async () => {
    const missing = await drover(['node', 'delete', 'sec-nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/i);
    expect(await drover(['node', 'delete', 'sec-nope', '--ignore-not-found'])).toMatchObject({ code: 0 });
  });
});
