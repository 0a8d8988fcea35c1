/**
 * The everyday suite's one scenario, started once for every row: a real `drover hub --tls` process and
 * two real `drover agent` processes on containerd (each in its own process group, `--no-pod-network`
 * as they share this machine's root namespace), and the real kubectl (1.32, compat/support.ts'
 * kubectlBinary) with a kubeconfig holding the hub's CA, an admin context (current) and a `view` one.
 * close() stops the agents and the hub by their process groups and removes any container left by the
 * nodes' labels.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { cleanup, removeNodeContainers, startAgent, startHub, waitFor, type Proc, type TestHub } from '../../e2e/support.js';
import { kubectlBinary, writeKubeconfig } from '../support.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout then stderr */
  out: string;
}

export interface PodJson {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { nodeName?: string; containers: { name: string; image: string; command?: string[]; args?: string[]; env?: { name: string; value?: string }[] }[] };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

export interface Scenario {
  dir: string;
  kubeconfig: string;
  kubectlPath: string;
  /** The two nodes' names (unique per run: their containers are found by them). */
  nodes: [string, string];
  /** What a row leaves for later rows (a revision list, a pod's name). */
  memo: Record<string, unknown>;
  kubectl(args: readonly string[], opts?: { stdin?: string; env?: Record<string, string> }): Promise<KubectlResult>;
  /** kubectl with a terminal of its own: under util-linux `script` (stdin empty), stdout being the terminal's output. */
  kubectlTty(args: readonly string[]): Promise<KubectlResult>;
  /** `kubectl get ARGS -o json`, parsed; throws when kubectl fails. */
  json<T>(args: readonly string[]): Promise<T>;
  /** The pods matching `selector` that are not being deleted. */
  livePods(selector: string): Promise<PodJson[]>;
  /** Runs a command until stopped (see Row.watch). */
  watch(args: readonly string[], w: { ready: (out: string) => boolean; change: () => Promise<unknown>; until: (out: string) => boolean }): Promise<KubectlResult>;
  close(): Promise<void>;
}

const isReady = (n: { status?: { conditions?: { type: string; status: string }[] } }): boolean =>
  n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

export async function startScenario(): Promise<Scenario> {
  const id = randomBytes(3).toString('hex');
  const nodes: [string, string] = [`evd-${id}-a`, `evd-${id}-b`];
  const hub: TestHub = await startHub(['--tls']);
  const agents: Proc[] = [];
  const kubeconfig = join(hub.dir, 'kubeconfig');
  const kubectlPath = kubectlBinary();

  const close = async (): Promise<void> => {
    // the workloads go while the agents still run, so the agents remove their containers
    await execa(kubectlPath, ['--kubeconfig', kubeconfig, 'delete', 'deployments,pods', '--all', '--grace-period=0', '--force', '--wait=false'], { reject: false, env: { HOME: hub.dir } });
    await new Promise((r) => setTimeout(r, 2000));
    for (const a of agents) await a.stop();
    await removeNodeContainers(nodes);
    await hub.stop();
    await cleanup(hub.dir);
  };

  try {
    const config = JSON.parse(await readFile(hub.configPath, 'utf8')) as { token: string; certificateAuthority: string };
    const view = (await hub.cli(['token', 'create', '--role', 'view', '--description', 'compat view'])).stdout.trim();
    await writeKubeconfig(kubeconfig, { server: hub.httpUrl, certificateAuthority: config.certificateAuthority, users: { admin: config.token, view } });
    for (const node of nodes) {
      const join = (await hub.cli(['token', 'create', '--ttl', '10m'])).stdout.trim();
      agents.push(await startAgent(hub, node, 'containerd', join));
    }
    await waitFor('both nodes Ready', async () => {
      const list = await hub.json<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
      return nodes.every((n) => list.items.some((i) => i.metadata.name === n && isReady(i)));
    }, 60_000);
  } catch (err) {
    await close();
    throw err;
  }

  const kubectl: Scenario['kubectl'] = async (args, opts = {}) => {
    const r = await execa(kubectlPath, ['--kubeconfig', kubeconfig, ...args], {
      reject: false,
      timeout: 90_000,
      env: { HOME: hub.dir, KUBECONFIG: kubeconfig, ...(opts.env ?? {}) },
      ...(opts.stdin !== undefined ? { input: opts.stdin } : {}),
    });
    const code = r.timedOut ? 124 : (r.exitCode ?? 1);
    return { code, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}${r.stderr}${r.timedOut ? '\n(timed out after 90 s)' : ''}` };
  };

  const kubectlTty: Scenario['kubectlTty'] = async (args) => {
    const line = [kubectlPath, '--kubeconfig', kubeconfig, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const r = await execa('script', ['-qfec', line, '/dev/null'], { reject: false, timeout: 90_000, input: '', env: { HOME: hub.dir, KUBECONFIG: kubeconfig } });
    const code = r.timedOut ? 124 : (r.exitCode ?? 1);
    return { code, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}${r.stderr}${r.timedOut ? '\n(timed out after 90 s)' : ''}` };
  };

  const json = async <T>(args: readonly string[]): Promise<T> => {
    const r = await kubectl(['get', ...args, '-o', 'json']);
    if (r.code !== 0) throw new Error(`kubectl get ${args.join(' ')} failed: ${r.out}`);
    return JSON.parse(r.stdout) as T;
  };

  return {
    dir: hub.dir,
    kubeconfig,
    kubectlPath,
    nodes,
    memo: {},
    kubectl,
    kubectlTty,
    json,
    async livePods(selector) {
      const list = await json<{ items: PodJson[] }>(['pods', '-l', selector]);
      return list.items.filter((p) => !p.metadata.deletionTimestamp);
    },
    async watch(args, w) {
      const child = execa(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { reject: false, env: { HOME: hub.dir, KUBECONFIG: kubeconfig }, detached: true });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      try {
        await waitFor(`kubectl ${args.join(' ')} to print its first lines`, async () => w.ready(stdout), 30_000, 100);
        await w.change();
        await waitFor(`kubectl ${args.join(' ')} to print the change`, async () => w.until(stdout), 30_000, 100).catch(() => undefined);
      } finally {
        // its own process group: the watch ends with it
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
        await child;
      }
      return { code: 0, stdout, stderr, out: `${stdout}${stderr}` };
    },
    close,
  };
}
