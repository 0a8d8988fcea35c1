/**
 * Helpers for e2e tests: start real `drover hub` and `drover agent` processes from the built CLI
 * (dist/), talk to them with the real CLI, and wait for conditions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { createCaFetch } from '../../hub/cli/tls-fetch.js';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The built CLI; DROVER_CLI points elsewhere (a build of an older commit, to measure a "before"). */
export const DROVER = process.env.DROVER_CLI ?? join(ROOT, 'dist/hub/cli/main.js');
export const TEST_IMAGE = 'drover.local/busybox:test';

/**
 * A pod that sleeps an hour on `node` (the busybox test image), for tests that watch what the agent does
 * with it; `container` and `spec` are YAML lines added under its container and its spec.
 */
export function sleepPodManifest(o: { name: string; node: string; namespace?: string; container?: string; spec?: string }): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${o.name}
${o.namespace ? `  namespace: ${o.namespace}\n` : ''}spec:
  nodeName: ${o.node}
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sleep", "3600"]
${o.container ?? ''}${o.spec ?? ''}`;
}

export interface Proc {
  child: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Send `signal` to the process group `child` leads (started detached); false when it is gone. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-child.pid!, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * Track a child started detached (its own process group): stop() signals the whole group, so what it
 * launched (a `drover up`'s agent, an agent's ctr and docker calls) ends with it, then kills what is left.
 */
export function track(child: ChildProcess): Proc {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  return {
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        signalGroup(child, signal);
        const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      // the leader is gone: nothing it started outlives the test
      signalGroup(child, 'SIGKILL');
      return child.exitCode;
    },
  };
}

export function startDrover(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [DROVER, ...args], {
    env: { ...process.env, DROVER_LOG_LEVEL: process.env.DROVER_LOG_LEVEL ?? 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return track(child);
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}

export interface TestHub {
  dir: string;
  configPath: string;
  httpUrl: string;
  mqttUrl: string;
  proc: Proc;
  env: Record<string, string>;
  /** The hub CA (PEM): its API is HTTPS. */
  ca: string;
  /** fetch that trusts the hub CA (for requests to httpUrl). */
  fetch: typeof fetch;
  /** Run the CLI against this hub. */
  cli(args: string[], opts?: { input?: string; reject?: boolean }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  json<T = unknown>(args: string[]): Promise<T>;
  stop(): Promise<void>;
}

export async function startHub(extraArgs: string[] = [], dir?: string): Promise<TestHub> {
  const base = dir ?? (await mkdtemp(join(tmpdir(), 'drover-e2e-')));
  const configPath = join(base, 'config.json');
  const env = { DROVER_CONFIG: configPath };
  const proc = startDrover(['hub', '--data-dir', join(base, 'hub'), '--http', '127.0.0.1:0', '--mqtt', '127.0.0.1:0', ...extraArgs], env);
  const info = await waitFor(
    'the hub to start',
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`hub exited: ${proc.output()}`);
      const text = await readFile(join(base, 'hub', 'hub.json'), 'utf8').catch(() => undefined);
      if (!text) return undefined;
      const parsed = JSON.parse(text) as { httpUrl: string; mqttUrl: string; pid: number };
      if (parsed.pid !== proc.child.pid) return undefined;
      const cfg = await readFile(configPath, 'utf8').catch(() => undefined);
      return cfg ? parsed : undefined;
    },
    30_000,
  );
  const cli: TestHub['cli'] = async (args, opts = {}) => {
    const r = await execa(process.execPath, [DROVER, ...args], {
      env: { ...process.env, ...env },
      input: opts.input,
      reject: opts.reject ?? true,
      timeout: 120_000,
    });
    // a CLI killed by the timeout (or a signal) has no exit code: never read that as success
    if (r.timedOut) throw new Error(`drover ${args.join(' ')} timed out after 120 s: ${r.stdout} ${r.stderr}`);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? 1 };
  };
  const ca = await readFile(join(base, 'hub', 'pki', 'ca.crt'), 'utf8');
  return {
    dir: base,
    configPath,
    httpUrl: info.httpUrl,
    mqttUrl: info.mqttUrl,
    proc,
    env,
    ca,
    fetch: createCaFetch(ca),
    cli,
    async json<T>(args: string[]) {
      const r = await cli([...args, '-o', 'json']);
      return JSON.parse(r.stdout) as T;
    },
    async stop() {
      await proc.stop();
    },
  };
}

/**
 * A joining agent. Its pod network is off unless asked for: the agents of one test share this machine's
 * root namespace (one bridge, one Docker network, one overlay device), which a device never does; tests of
 * the pod network give each agent a network namespace of its own.
 */
export async function startAgent(hub: TestHub, name: string, runtime: 'docker' | 'containerd', token: string, podNetwork = false): Promise<Proc> {
  return startDrover(
    ['agent', '--hub', hub.mqttUrl, '--name', name, '--runtime', runtime, '--data-dir', join(hub.dir, `agent-${name}`),
      '--status-interval', '2', ...(podNetwork ? [] : ['--no-pod-network'])],
    // the token in the environment, never on a command line (test/security/argv.test.ts)
    { ...hub.env, DROVER_JOIN_TOKEN: token },
  );
}

export async function cleanup(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A pod's own containers in a runtime (not its Docker pause sandbox), found by Drover's labels. */
export async function runtimeContainers(runtime: 'docker' | 'containerd', podName: string): Promise<string[]> {
  if (runtime === 'docker') {
    const r = await execa('docker', ['ps', '-a', '-q', '--filter', `label=io.drover.pod.name=${podName}`, '--filter', 'label=io.drover.container']);
    return r.stdout.split('\n').filter(Boolean);
  }
  const r = await execa('ctr', ['-n', 'drover', 'containers', 'ls', '-q', `labels."io.drover.pod.name"==${podName}`]);
  return r.stdout.split('\n').filter(Boolean);
}

export function rssKiB(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/status`, 'utf8').then((s) => Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? NaN));
}

/**
 * Remove whatever containers the agents of `nodes` left in Docker and containerd (by the io.drover.node
 * label every container of theirs carries): for a test's cleanup after its agents stopped.
 */
export async function removeNodeContainers(nodes: readonly string[]): Promise<void> {
  for (const node of nodes) {
    const docker = (await execa('docker', ['ps', '-aq', '--filter', `label=io.drover.node=${node}`], { reject: false })).stdout.split('\n').filter(Boolean);
    if (docker.length) await execa('docker', ['rm', '-f', ...docker], { reject: false });
    const ctr = (await execa('ctr', ['-n', 'drover', 'containers', 'ls', '-q', `labels."io.drover.node"==${node}`], { reject: false })).stdout.split('\n').filter(Boolean);
    for (const id of ctr) {
      await execa('ctr', ['-n', 'drover', 'tasks', 'kill', '-s', 'KILL', id], { reject: false });
      await execa('ctr', ['-n', 'drover', 'tasks', 'delete', '-f', id], { reject: false });
      await execa('ctr', ['-n', 'drover', 'containers', 'delete', id], { reject: false });
    }
  }
}
