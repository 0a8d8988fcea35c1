/** Kubeconfigs: reading them as kubectl does, which one wins, and what `drover kubeconfig` writes and merges. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConnection } from '../../../hub/cli/config.js';
import { ConfigError } from '../../../hub/cli/errors.js';
import { captureIO } from '../../../hub/cli/io.js';
import { loadKubeconfigs, mergeKubeconfigs, parseKubeconfig, selectKubeconfigContext } from '../../../hub/cli/kubeconfig.js';
import { buildKubeconfig, formatKubeconfig, kubeconfigMergeTarget, mergeIntoKubeconfig } from '../../../hub/cli/kubeconfig-write.js';
import { buildProgram, runCli } from '../../../hub/cli/program.js';

const PEM_A = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
const PEM_B = '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n';
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A kubeconfig with one context `name` (cluster and user of the same name). */
function kubeconfigText(name: string, server: string, extra: { token?: string; tokenFile?: string; ca?: string; caData?: string; namespace?: string; current?: string } = {}): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: ${name}
  cluster:
    server: ${server}
${extra.ca ? `    certificate-authority: ${extra.ca}\n` : ''}${extra.caData ? `    certificate-authority-data: ${extra.caData}\n` : ''}users:
- name: ${name}
  user:
${extra.token ? `    token: ${extra.token}\n` : ''}${extra.tokenFile ? `    tokenFile: ${extra.tokenFile}\n` : ''}contexts:
- name: ${name}
  context:
    cluster: ${name}
    user: ${name}
${extra.namespace ? `    namespace: ${extra.namespace}\n` : ''}${extra.current !== undefined ? `current-context: "${extra.current}"\n` : ''}`;
}

describe('reading kubeconfigs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-kubeconfig-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses YAML and JSON, takes null lists as empty, and names a bad field', () => {
    expect(parseKubeconfig('')).toMatchObject({ clusters: [], users: [], contexts: [] });
    expect(parseKubeconfig('apiVersion: v1\nkind: Config\nclusters: null\nusers: null\ncontexts: null\ncurrent-context: ""\n')).toMatchObject({ clusters: [], contexts: [] });
    expect(parseKubeconfig('{"clusters":[{"name":"a","cluster":{"server":"https://a"}}]}').clusters[0]!.cluster!.server).toBe('https://a');
    expect(() => parseKubeconfig('clusters:\n- cluster: {server: x}\n')).toThrow(/clusters\.0\.name/);
    expect(() => parseKubeconfig('clusters: [')).toThrow(/not valid YAML/);
  });

  it('merges files as kubectl does: the first to name an entry or set current-context wins', () => {
    const first = parseKubeconfig(kubeconfigText('a', 'https://first', { token: 't1' }));
    const second = parseKubeconfig(kubeconfigText('a', 'https://second', { token: 't2', current: 'a' }) + '');
    const third = parseKubeconfig(kubeconfigText('b', 'https://third', { current: 'b' }));
    const merged = mergeKubeconfigs([first, second, third]);
    expect(merged.clusters.map((c) => [c.name, c.cluster?.server])).toEqual([['a', 'https://first'], ['b', 'https://third']]);
    expect(merged.users.find((u) => u.name === 'a')!.user!.token).toBe('t1');
    expect(merged['current-context']).toBe('a'); // the first file sets none, the second does
  });

  it('skips missing files of $KUBECONFIG, refuses a missing --kubeconfig, and resolves relative paths against their file', async () => {
    await writeFile(join(dir, 'ca.crt'), PEM_A);
    await writeFile(join(dir, 'token'), '  tok-from-file\n');
    const file = join(dir, 'relative.yaml');
    await writeFile(file, kubeconfigText('rel', 'https://rel:6443', { ca: 'ca.crt', tokenFile: 'token', namespace: 'team', current: 'rel' }));
    const loaded = loadKubeconfigs([join(dir, 'missing.yaml'), file], false);
    expect(loaded.files).toEqual([file]);
    expect(() => loadKubeconfigs([join(dir, 'missing.yaml')], true)).toThrow(ConfigError);
    const selected = selectKubeconfigContext(loaded.config, undefined, file)!;
    expect(selected).toEqual({
      context: 'rel',
      server: 'https://rel:6443',
      certificateAuthority: PEM_A,
      certificateAuthorityPath: join(dir, 'ca.crt'),
      token: 'tok-from-file',
      namespace: 'team',
    });
  });

  it('takes certificate-authority-data over certificate-authority, a token over tokenFile; a missing context is an error', () => {
    const config = parseKubeconfig(kubeconfigText('d', 'https://d', { caData: b64(PEM_B), ca: '/nonexistent/ca.crt', token: 'inline', tokenFile: '/nonexistent/token' }));
    expect(selectKubeconfigContext(config, 'd', 'x')).toMatchObject({ certificateAuthority: PEM_B, certificateAuthorityPath: undefined, token: 'inline' });
    expect(selectKubeconfigContext(config, undefined, 'x')).toBeUndefined(); // no current-context
    expect(() => selectKubeconfigContext(config, 'nope', 'x')).toThrow(/context "nope" is not in x/);
  });
});

describe('which hub the CLI talks to', () => {
  let dir: string;
  let droverConfig: string;
  let kube: string;
  let other: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-kubeconfig-precedence-'));
    droverConfig = join(dir, 'config.json');
    await writeFile(join(dir, 'drover-ca.crt'), PEM_A);
    await writeFile(droverConfig, JSON.stringify({ server: 'https://from-drover-config:7070', token: 'drover-token', certificateAuthority: 'drover-ca.crt' }));
    kube = join(dir, 'kube.yaml');
    await writeFile(kube, kubeconfigText('k', 'https://from-kubeconfig:6443', { token: 'kube-token', caData: b64(PEM_B), namespace: 'team', current: 'k' }));
    other = join(dir, 'other.yaml');
    await writeFile(other, kubeconfigText('o', 'https://other:6443', { current: '' }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const io = (env: NodeJS.ProcessEnv = {}, homedir = dir) => captureIO({ env: { DROVER_CONFIG: droverConfig, ...env }, homedir });

  it('without a kubeconfig: the Drover config file, as before', () => {
    expect(resolveConnection({}, io())).toMatchObject({ server: 'https://from-drover-config:7070', token: 'drover-token', certificateAuthority: PEM_A, certificateAuthorityPath: join(dir, 'drover-ca.crt'), namespace: undefined });
  });

  it('--kubeconfig and $KUBECONFIG come before the Drover config file, which they replace whole', () => {
    const fromFlag = resolveConnection({ kubeconfig: kube }, io());
    expect(fromFlag).toMatchObject({ server: 'https://from-kubeconfig:6443', token: 'kube-token', certificateAuthority: PEM_B, namespace: 'team', source: `context "k" of ${kube}` });
    expect(resolveConnection({}, io({ KUBECONFIG: `${join(dir, 'missing')}${delimiter}${kube}` }))).toMatchObject({ server: 'https://from-kubeconfig:6443', token: 'kube-token' });
    // a context whose user has no token: no token, not the Drover config's admin token for another hub
    expect(resolveConnection({ kubeconfig: other, context: 'o' }, io())).toMatchObject({ server: 'https://other:6443', token: undefined });
  });

  it('flags and DROVER_* come before the kubeconfig, field by field', () => {
    expect(resolveConnection({ kubeconfig: kube, server: 'https://flag:1' }, io())).toMatchObject({ server: 'https://flag:1', token: 'kube-token', source: '--server' });
    expect(resolveConnection({ kubeconfig: kube }, io({ DROVER_TOKEN: 'env-token', DROVER_SERVER: 'https://env:2' }))).toMatchObject({ server: 'https://env:2', token: 'env-token', namespace: 'team' });
    expect(resolveConnection({ kubeconfig: kube, token: 'flag-token' }, io({ DROVER_TOKEN: 'env-token' })).token).toBe('flag-token');
  });

  it('$KUBECONFIG choosing no context leaves the Drover config; --kubeconfig or --context without one is an error', () => {
    expect(resolveConnection({}, io({ KUBECONFIG: other })).server).toBe('https://from-drover-config:7070');
    expect(resolveConnection({}, io({ KUBECONFIG: join(dir, 'missing.yaml') })).server).toBe('https://from-drover-config:7070');
    expect(() => resolveConnection({ kubeconfig: other }, io())).toThrow(/has no current-context: name one with --context/);
    expect(() => resolveConnection({ kubeconfig: kube, context: 'nope' }, io())).toThrow(ConfigError);
  });

  it('--context alone reads ~/.kube/config', async () => {
    const home = join(dir, 'home');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(home, '.kube'), { recursive: true });
    await writeFile(join(home, '.kube', 'config'), kubeconfigText('h', 'https://home:6443', { token: 'home-token' }));
    expect(resolveConnection({ context: 'h' }, io({}, home))).toMatchObject({ server: 'https://home:6443', token: 'home-token' });
    expect(resolveConnection({}, io({}, home)).server).toBe('https://from-drover-config:7070'); // never read unasked
  });

  it("gives commands without -n the context's namespace, which apply does not enforce", async () => {
    const seen: Array<[string | undefined, string | undefined]> = [];
    for (const argv of [['get', 'pods', '--kubeconfig', kube], ['get', 'pods', '--kubeconfig', kube, '-n', 'mine'], ['get', 'pods'], ['--kubeconfig', kube, 'apply', '-f', '-']]) {
      const program = buildProgram(io());
      for (const name of ['get', 'apply']) {
        program.commands.find((c) => c.name() === name)!.action((...args: unknown[]) => {
          const cmd = args[args.length - 1] as Command;
          seen.push([cmd.opts<{ namespace?: string }>().namespace, cmd.getOptionValueSource('namespace')]);
        });
      }
      await program.parseAsync(argv, { from: 'user' });
    }
    expect(seen).toEqual([['team', 'config'], ['mine', 'cli'], [undefined, undefined], ['team', 'config']]);
    // token create's --namespace is a token's scope, never taken from the context
    const program = buildProgram(io());
    const create = program.commands.find((c) => c.name() === 'token')!.commands.find((c) => c.name() === 'create')!;
    let scope: string | undefined = 'unset';
    create.action((...args: unknown[]) => {
      scope = (args[args.length - 1] as Command).opts<{ namespace?: string }>().namespace;
    });
    await program.parseAsync(['token', 'create', '--role', 'view', '--kubeconfig', kube], { from: 'user' });
    expect(scope).toBeUndefined();
  });
});

describe('writing kubeconfigs', () => {
  const entry = { name: 'drover', server: 'https://127.0.0.1:7070', certificateAuthority: PEM_A, token: 'drover-api.a.b', namespace: 'default' };

  it('builds one cluster, user and context, the CA embedded; it reads back to the same connection', () => {
    const text = formatKubeconfig(buildKubeconfig(entry));
    expect(text.startsWith('apiVersion: v1\nkind: Config\nclusters:\n')).toBe(true);
    expect(text).toContain(`certificate-authority-data: ${b64(PEM_A)}`);
    const config = parseKubeconfig(text);
    expect(config['current-context']).toBe('drover');
    expect(selectKubeconfigContext(config, undefined, 'x')).toMatchObject({ server: entry.server, certificateAuthority: PEM_A, token: entry.token, namespace: 'default' });
    const byPath = buildKubeconfig({ ...entry, certificateAuthorityPath: '/data/pki/ca.crt' });
    expect(byPath.clusters[0]!.cluster).toEqual({ server: entry.server, 'certificate-authority': '/data/pki/ca.crt' });
  });

  it('merges without touching other entries; replaces its own; switches current-context only when asked or when there was none', () => {
    const existing = parseKubeconfig(`${kubeconfigText('work', 'https://work:6443', { token: 'w', current: 'work' })}preferences: {colors: true}\n`);
    const first = mergeIntoKubeconfig(existing, buildKubeconfig(entry), false);
    expect(first.config.contexts.map((c) => c.name)).toEqual(['work', 'drover']);
    expect(first.config.users.find((u) => u.name === 'work')!.user!.token).toBe('w');
    expect(first).toMatchObject({ currentContext: 'work', switched: false, replaced: [] });
    expect(first.config.preferences).toEqual({ colors: true });
    const again = mergeIntoKubeconfig(first.config, buildKubeconfig({ ...entry, token: 'new' }), true);
    expect(again).toMatchObject({ currentContext: 'drover', switched: true, replaced: ['cluster "drover"', 'user "drover"', 'context "drover"'] });
    expect(again.config.users.map((u) => [u.name, u.user?.token])).toEqual([['work', 'w'], ['drover', 'new']]);
    expect(mergeIntoKubeconfig(undefined, buildKubeconfig(entry), false)).toMatchObject({ currentContext: 'drover', switched: true });
  });

  it("merges into kubectl's file: --kubeconfig, else the first existing file of $KUBECONFIG (or its last), else ~/.kube/config", () => {
    const exists = (p: string) => p === '/b';
    expect(kubeconfigMergeTarget('/x', '/a:/b', '/home/u', exists)).toBe('/x');
    expect(kubeconfigMergeTarget(undefined, ['/a', '/b', '/c'].join(delimiter), '/home/u', exists)).toBe('/b');
    expect(kubeconfigMergeTarget(undefined, ['/a', '/c'].join(delimiter), '/home/u', exists)).toBe('/c');
    expect(kubeconfigMergeTarget(undefined, undefined, '/home/u', exists)).toBe('/home/u/.kube/config');
  });
});

describe('drover kubeconfig', () => {
  let dir: string;
  let droverConfig: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-kubeconfig-cmd-'));
    droverConfig = join(dir, 'config.json');
    await writeFile(join(dir, 'ca.crt'), PEM_A);
    await writeFile(droverConfig, JSON.stringify({ server: 'https://127.0.0.1:7070', token: 'admin-token', certificateAuthority: join(dir, 'ca.crt') }));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const drover = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const io = captureIO({ env: { DROVER_CONFIG: droverConfig, ...env }, homedir: dir });
    const code = await runCli(args, io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  it("prints a kubeconfig for the CLI's hub, never one from $KUBECONFIG", async () => {
    await writeFile(join(dir, 'elsewhere.yaml'), kubeconfigText('work', 'https://work:6443', { token: 'w', current: 'work' }));
    const r = await drover(['kubeconfig', '--namespace', 'team'], { KUBECONFIG: join(dir, 'elsewhere.yaml') });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const selected = selectKubeconfigContext(parseKubeconfig(r.stdout), undefined, 'stdout');
    expect(selected).toMatchObject({ context: 'drover', server: 'https://127.0.0.1:7070', certificateAuthority: PEM_A, token: 'admin-token', namespace: 'team' });
  });

  it('takes the token from --user-token-file and names the CA file with --no-embed-ca', async () => {
    await writeFile(join(dir, 'view.token'), 'drover-api.view.secret\n');
    const r = await drover(['kubeconfig', '--context', 'viewer', '--user-token-file', join(dir, 'view.token'), '--no-embed-ca']);
    const config = parseKubeconfig(r.stdout);
    expect(config.users).toEqual([{ name: 'viewer', user: { token: 'drover-api.view.secret' } }]);
    expect(config.clusters[0]!.cluster).toEqual({ server: 'https://127.0.0.1:7070', 'certificate-authority': join(dir, 'ca.crt') });
  });

  it('--merge writes ~/.kube/config 0600, keeps what is there and the current context, --use-context switches', async () => {
    const target = join(dir, '.kube', 'config');
    const first = await drover(['kubeconfig', '--merge']);
    expect(first).toMatchObject({ code: 0, stdout: `added context "drover" in ${target}; current-context is now "drover"\n` });
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    const second = await drover(['kubeconfig', '--merge', '--context', 'second', '--server', 'https://127.0.0.1:7071']);
    expect(second.stdout).toBe(`added context "second" in ${target}; current-context stays "drover" (kubectl config use-context second, or --use-context)\n`);
    let config = parseKubeconfig(await readFile(target, 'utf8'));
    expect(config.contexts.map((c) => c.name)).toEqual(['drover', 'second']);
    expect(config['current-context']).toBe('drover');
    expect((await drover(['kubeconfig', '--merge', '--context', 'second', '--use-context'])).stdout).toBe(`updated context "second" in ${target}; current-context is now "second"\n`);
    config = parseKubeconfig(await readFile(target, 'utf8'));
    expect(config['current-context']).toBe('second');
    expect(config.clusters.find((c) => c.name === 'second')!.cluster!.server).toBe('https://127.0.0.1:7070');
  });

  it('refuses to merge into a file that is not a kubeconfig, and leaves it as it was', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'clusters: {not: a list}\n');
    const r = await drover(['kubeconfig', '--merge', '--kubeconfig', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: the kubeconfig .*bad\.yaml is not valid \(left as it is\)/);
    expect(await readFile(bad, 'utf8')).toBe('clusters: {not: a list}\n');
    expect((await drover(['kubeconfig', '--kubeconfig', bad])).stderr).toBe('error: --kubeconfig and --use-context go with --merge\n');
  });

  it('warns that kubectl sends no token to a plain-HTTP hub', async () => {
    const r = await drover(['kubeconfig', '--server', 'http://127.0.0.1:7070']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: http:\/\/127\.0\.0\.1:7070 is plain HTTP: kubectl sends no token over it/);
  });
});
