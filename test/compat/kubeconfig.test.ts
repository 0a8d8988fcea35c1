/**
 * `drover kubeconfig > ~/.kube/config && kubectl get nodes` after starting a hub, as a new user does it:
 * a real `drover hub` process (HTTPS on loopback, its default) with HOME a temp dir and nothing else set,
 * a real agent joined to it, the real kubectl (1.32: support.ts kubectlBinary) with no flags at all, and the `drover` CLI reading the same
 * kubeconfig. Then a second hub (another data dir, the same HOME) leaves the first one's CLI config
 * and kubectl context alone; `drover kubeconfig --merge` adds it beside the first.
 */
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, DROVER, startDrover, waitFor, type Proc } from '../e2e/support.js';
import { kubectlBinary } from './support.js';

const NODE = 'kc-compat-node';

describe('drover kubeconfig with the real kubectl, against a real drover hub', () => {
  let home: string;
  const procs: Proc[] = [];
  // a user's environment: HOME and PATH, no DROVER_* or KUBECONFIG
  const env = () => ({ HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', DROVER_CONFIG: '', KUBECONFIG: '', DROVER_SERVER: '', DROVER_TOKEN: '', DROVER_CA_FILE: '' });
  const drover = async (args: string[], extra: Record<string, string> = {}) => {
    const r = await execa(process.execPath, [DROVER, ...args], { env: { ...env(), ...extra }, extendEnv: false, reject: false, timeout: 60_000 });
    return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  };
  const kubectl = async (args: string[]) => {
    const r = await execa(kubectlBinary(), args, { env: env(), extendEnv: false, reject: false, timeout: 60_000 });
    return { code: r.exitCode ?? 1, out: `${r.stdout}${r.stderr}` };
  };
  /** Start `drover hub` (data dir `dataDir`, default ~/.drover/hub) and wait until it has written hub.json. */
  const startHubProcess = async (dataDir?: string) => {
    const proc = startDrover(['hub', ...(dataDir ? ['--data-dir', dataDir] : []), '--http', '127.0.0.1:0', '--mqtt', '127.0.0.1:0'], env());
    procs.push(proc);
    const dir = dataDir ?? join(home, '.drover', 'hub');
    const info = await waitFor('the hub to start', async () => {
      if (proc.child.exitCode !== null) throw new Error(`hub exited: ${proc.output()}`);
      const text = await readFile(join(dir, 'hub.json'), 'utf8').catch(() => undefined);
      const parsed = text ? (JSON.parse(text) as { httpUrl: string; mqttUrl: string; pid: number }) : undefined;
      return parsed?.pid === proc.child.pid && /CLI config:/.test(proc.output()) ? parsed : undefined;
    }, 30_000);
    return { proc, info };
  };

  let first: Awaited<ReturnType<typeof startHubProcess>>;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'drover-compat-kubeconfig-'));
    first = await startHubProcess();
    const token = (await drover(['token', 'create', '--ttl', '10m'])).stdout.trim();
    procs.push(startDrover(['agent', '--hub', first.info.mqttUrl, '--name', NODE, '--runtime', 'containerd', '--data-dir', join(home, 'agent'), '--status-interval', '2', '--no-pod-network'], { ...env(), DROVER_JOIN_TOKEN: token }));
  }, 60_000);
  afterAll(async () => {
    for (const p of procs.reverse()) await p.stop();
    if (home) await cleanup(home);
  });

  it('serves HTTPS on loopback by default and writes the CLI config under HOME', async () => {
    expect(first.info.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const config = JSON.parse(await readFile(join(home, '.drover', 'config.json'), 'utf8')) as { server: string };
    expect(config.server).toBe(first.info.httpUrl);
  });

  it('drover kubeconfig > ~/.kube/config, then kubectl get nodes and get ns with no flags', async () => {
    await mkdir(join(home, '.kube'));
    const written = await execa('sh', ['-c', `"${process.execPath}" "${DROVER}" kubeconfig > "$HOME/.kube/config"`], { env: env(), extendEnv: false, reject: false });
    expect(written.exitCode, written.stderr).toBe(0);
    const nodes = await waitFor(`${NODE} Ready through kubectl`, async () => {
      const r = await kubectl(['get', 'nodes']);
      return r.code === 0 && new RegExp(`^${NODE}\\s+Ready\\s`, 'm').test(r.out) ? r.out : undefined;
    }, 60_000);
    expect(nodes).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    const ns = await kubectl(['get', 'ns']);
    expect(ns.code, ns.out).toBe(0);
    expect(ns.out).toMatch(/^default\s+Active/m);
    expect(ns.out).toMatch(/^kube-system\s+Active/m);
    expect((await kubectl(['config', 'current-context'])).out.trim()).toBe('drover');
    expect((await kubectl(['version', '--client'])).out).toMatch(/Client Version: v1\.32\./);
  }, 90_000);

  it('drover get nodes --kubeconfig that file, with no Drover config anywhere', async () => {
    const r = await drover(['get', 'nodes', '--kubeconfig', join(home, '.kube', 'config')], { HOME: join(home, 'nowhere') });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${NODE}\\s+Ready`, 'm'));
  });

  it("a second hub (another data dir, the same HOME) overwrites neither the CLI config nor kubectl's context", async () => {
    const cliConfig = join(home, '.drover', 'config.json');
    const [cliBefore, kubeBefore] = await Promise.all([readFile(cliConfig, 'utf8'), readFile(join(home, '.kube', 'config'), 'utf8')]);
    const secondDir = join(home, 'second-hub');
    const second = await startHubProcess(secondDir);
    const own = join(secondDir, 'cli-config.json');
    expect(second.proc.output()).toContain(`${cliConfig} is another hub's and stays as it is; for this hub: DROVER_CONFIG=${own} drover get nodes`);
    expect(await readFile(cliConfig, 'utf8')).toBe(cliBefore);
    expect((JSON.parse(await readFile(own, 'utf8')) as { server: string }).server).toBe(second.info.httpUrl);
    expect(await readFile(join(home, '.kube', 'config'), 'utf8')).toBe(kubeBefore);
    // the CLI and kubectl still reach the first hub
    expect((await drover(['get', 'nodes'])).stdout).toMatch(new RegExp(`^${NODE}\\s`, 'm'));

    // added beside the first: its context, not current
    const merged = await drover(['kubeconfig', '--merge', '--context', 'second'], { DROVER_CONFIG: own });
    expect(merged.stdout).toBe(`added context "second" in ${join(home, '.kube', 'config')}; current-context stays "drover" (kubectl config use-context second, or --use-context)`);
    expect((await kubectl(['get', 'nodes'])).out).toMatch(new RegExp(`^${NODE}\\s+Ready`, 'm'));
    const onSecond = await kubectl(['--context', 'second', 'get', 'nodes']);
    expect(onSecond).toMatchObject({ code: 0 });
    expect(onSecond.out).toContain('No resources found');
    expect((await drover(['get', 'nodes', '--context', 'second'])).stderr).toBe('No resources found.');
  }, 60_000);
});
