import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIO } from '../../../hub/cli/io.js';
import { runCli } from '../../../hub/cli/program.js';
import { startTestApi, type TestApi } from '../api/support.js';

const SECRET = 'cli-secret-value-9912';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('drover create, get and describe for ConfigMaps, Secrets and Namespaces', () => {
  let api: TestApi;
  let env: NodeJS.ProcessEnv;
  const drover = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => {
    const io = captureIO({ env: { ...env, ...extraEnv } });
    const code = await runCli(args, io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  beforeAll(async () => {
    api = await startTestApi();
    env = { DROVER_SERVER: api.url, DROVER_TOKEN: api.tokens.admin, DROVER_CONFIG: join(api.dir, 'none.json') };
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates a ConfigMap from literals, a keyed file, and a directory (binary files into binaryData)', async () => {
    const files = join(api.dir, 'cfg');
    await mkdir(files, { recursive: true });
    await writeFile(join(files, 'app.conf'), 'listen=80\n');
    await writeFile(join(files, 'logo.bin'), Buffer.from([0xff, 0xfe, 0x00, 0x01]));
    await writeFile(join(api.dir, 'motd.txt'), 'welcome\n');
    const r = await drover(['create', 'configmap', 'web-config', '--from-literal', 'greeting=hello=world', '--from-literal=level=debug', '--from-file', `motd=${join(api.dir, 'motd.txt')}`, '--from-file', files]);
    expect(r).toEqual({ code: 0, stdout: 'configmap/web-config created\n', stderr: '' });
    const stored = (await api.call('GET', '/api/v1/namespaces/default/configmaps/web-config')).body;
    expect(stored.data).toEqual({ greeting: 'hello=world', level: 'debug', motd: 'welcome\n', 'app.conf': 'listen=80\n' });
    expect(stored.binaryData).toEqual({ 'logo.bin': b64(Buffer.from([0xff, 0xfe, 0x00, 0x01])) });

    const table = await drover(['get', 'cm']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(table.stdout).toMatch(/web-config\s+5\s+\S+/);
    const described = await drover(['describe', 'configmap', 'web-config']);
    expect(described.stdout).toContain('greeting:\n----\nhello=world');
    expect(described.stdout).toContain('logo.bin: 4 bytes');
  });

  it('creates a generic Secret in a namespace; get shows TYPE and DATA, describe only sizes', async () => {
    expect((await drover(['create', 'namespace', 'cfg-team'])).stdout).toBe('namespace/cfg-team created\n');
    await writeFile(join(api.dir, 'key.pem'), 'PEM-DATA');
    const r = await drover(['create', 'secret', 'generic', 'db', '-n', 'cfg-team', '--from-literal', `password=${SECRET}`, '--from-file', join(api.dir, 'key.pem'), '--type', 'example.com/db']);
    expect(r).toEqual({ code: 0, stdout: 'secret/db created\n', stderr: '' });
    const stored = (await api.call('GET', '/api/v1/namespaces/cfg-team/secrets/db')).body;
    expect(stored.data).toEqual({ password: b64(SECRET), 'key.pem': b64('PEM-DATA') });
    expect(stored.type).toBe('example.com/db');

    const table = await drover(['get', 'secrets', '-n', 'cfg-team']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE$/);
    expect(table.stdout).toMatch(/db\s+example\.com\/db\s+2\s+\S+/);

    const described = await drover(['describe', 'secret', 'db', '-n', 'cfg-team']);
    expect(described.code).toBe(0);
    expect(described.stdout).toContain('Type:  example.com/db');
    expect(described.stdout).toMatch(/password:\s+21 bytes/);
    expect(described.stdout).toMatch(/key\.pem:\s+8 bytes/);
    expect(described.stdout).not.toContain(SECRET);
    expect(described.stdout).not.toContain(b64(SECRET));
  });

  it('prints the object without creating it with --dry-run=client -o yaml', async () => {
    const r = await drover(['create', 'secret', 'generic', 'dry', '--from-literal', 'k=v', '--dry-run=client', '-o', 'yaml']);
    expect(r.code).toBe(0);
    expect(parseYaml(r.stdout)).toMatchObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'dry', namespace: 'default' }, type: 'Opaque', data: { k: b64('v') } });
    expect((await api.call('GET', '/api/v1/namespaces/default/secrets/dry')).status).toBe(404);
  });

  it('refuses bad keys, duplicate keys, missing files and existing names with clear errors', async () => {
    expect(await drover(['create', 'configmap', 'bad', '--from-literal', 'no equals'])).toMatchObject({ code: 1, stderr: expect.stringContaining('must be key=value') });
    expect(await drover(['create', 'configmap', 'bad', '--from-literal', 'a b=c'])).toMatchObject({ code: 1, stderr: expect.stringContaining('is not a valid key') });
    expect(await drover(['create', 'configmap', 'bad', '--from-literal', 'k=1', '--from-literal', 'k=2'])).toMatchObject({ code: 1, stderr: expect.stringContaining('cannot add key "k" twice') });
    expect(await drover(['create', 'configmap', 'bad', '--from-file', join(api.dir, 'absent')])).toMatchObject({ code: 1, stderr: expect.stringContaining('no such file') });
    const again = await drover(['create', 'configmap', 'web-config', '--from-literal', 'k=v']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
  });

  it('a view token cannot read Secrets through the CLI', async () => {
    const r = await drover(['get', 'secrets', '-n', 'cfg-team'], { DROVER_TOKEN: api.tokens.view });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('forbidden');
    expect((await drover(['get', 'configmaps'], { DROVER_TOKEN: api.tokens.view })).code).toBe(0);
  });
});
