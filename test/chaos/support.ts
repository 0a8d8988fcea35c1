/**
 * Helpers for the chaos suite (test/chaos/): hubs restarted on the same data dir and fixed ports, agents
 * restarted without a token, the hub's API over fetch, a Docker container's id and start time, tmpfs
 * mounts, a network namespace with a veth pair, and `CHAOS-FIGURE:` lines the lead collects. Process
 * and wait helpers come from test/e2e/support.ts.
 */
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DROVER, startDrover, startHub, track, type Proc, type TestHub } from '../e2e/support.js';

export { cleanup, startDrover, startHub, waitFor, TEST_IMAGE, type Proc, type TestHub } from '../e2e/support.js';

/** Print a measured figure the lead collects from the test output. */
export function figure(name: string, value: number | string, unit = ''): void {
  process.stdout.write(`CHAOS-FIGURE: ${name} = ${value}${unit ? ` ${unit}` : ''}\n`);
}

/** Start (or restart) a hub on `base`'s data dir with fixed ports, so agents find it again after a restart. */
export function startHubAt(base: string, httpPort: number, mqttPort: number, extraArgs: string[] = []): Promise<TestHub> {
  return startHub(['--http', `127.0.0.1:${httpPort}`, '--mqtt', `127.0.0.1:${mqttPort}`, ...extraArgs], base);
}

/** SIGKILL a process and wait for it to be gone. */
export async function kill9(proc: Proc): Promise<void> {
  await proc.stop('SIGKILL');
}

/** The admin token the hub wrote into the CLI config. */
export async function adminToken(hub: TestHub): Promise<string> {
  const cfg = JSON.parse(await readFile(hub.configPath, 'utf8')) as { token: string };
  return cfg.token;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

/** One request to the hub's API with the admin token. */
export async function api<T = unknown>(hub: TestHub, token: string, method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
  const res = await hub.fetch(`${hub.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T };
}

/** Start an agent that already joined (credentials in its data dir): no token, the stored hub address. */
export function restartAgent(dataDir: string, name: string, runtime: 'docker' | 'containerd', env: Record<string, string>): Proc {
  return startDrover(['agent', '--name', name, '--runtime', runtime, '--data-dir', dataDir, '--status-interval', '1', '--no-pod-network'], env);
}

/** A joining agent with a 1 s status interval. */
export async function joinAgent(hub: TestHub, dataDir: string, name: string, runtime: 'docker' | 'containerd', hubUrl = hub.mqttUrl): Promise<Proc> {
  const { stdout } = await hub.cli(['token', 'create', '--ttl', '10m']);
  return startDrover(
    ['agent', '--hub', hubUrl, '--name', name, '--runtime', runtime, '--data-dir', dataDir, '--status-interval', '1', '--no-pod-network'],
    { ...hub.env, DROVER_JOIN_TOKEN: stdout.trim() },
  );
}

export interface ContainerFacts {
  id: string;
  startedAt: string;
  running: boolean;
}

/** The Docker containers of a pod (by Drover's pod-name label), with start time and state. */
export async function dockerContainers(podName: string): Promise<ContainerFacts[]> {
  const ids = (await execa('docker', ['ps', '-a', '-q', '--no-trunc', '--filter', `label=io.drover.pod.name=${podName}`])).stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const r = await execa('docker', ['inspect', '--format', '{{.Id}} {{.State.StartedAt}} {{.State.Running}}', ...ids]);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id = '', startedAt = '', running = ''] = line.split(' ');
      return { id, startedAt, running: running === 'true' };
    });
}

/** Running Docker containers carrying a label (key=value). */
export async function runningWithLabel(label: string): Promise<string[]> {
  return (await execa('docker', ['ps', '-q', '--no-trunc', '--filter', `label=${label}`])).stdout.split('\n').filter(Boolean);
}

/** Remove every Docker container of the given pod names (cleanup after a test). */
export async function removeDockerPods(podNamePrefix: string): Promise<void> {
  const r = await execa('docker', ['ps', '-a', '-q', '--filter', 'label=io.drover.pod.name'], { reject: false });
  const ids = r.stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return;
  const names = await execa('docker', ['inspect', '--format', '{{.Id}} {{index .Config.Labels "io.drover.pod.name"}}', ...ids], { reject: false });
  const mine = names.stdout
    .split('\n')
    .map((l) => l.split(' '))
    .filter(([, pod]) => pod?.startsWith(podNamePrefix))
    .map(([id]) => id as string);
  if (mine.length > 0) await execa('docker', ['rm', '-f', ...mine], { reject: false });
}

/** Mount a tmpfs of `size` (e.g. "2m") on dir. */
export async function mountTmpfs(dir: string, size: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
}

export async function unmount(dir: string): Promise<void> {
  await execa('umount', ['-l', dir], { reject: false });
}

/** Fill the filesystem holding dir with one file; returns its path. */
export async function fillDisk(dir: string): Promise<string> {
  const file = join(dir, 'filler');
  await execa('dd', ['if=/dev/zero', `of=${file}`, 'bs=64k'], { reject: false });
  return file;
}

/** A network namespace joined to the host by a veth pair: host side `hostIp`/30, namespace side `nsIp`/30. */
export interface NetNs {
  name: string;
  hostVeth: string;
  hostIp: string;
  nsIp: string;
  down(): Promise<void>;
  up(): Promise<void>;
  remove(): Promise<void>;
}

export async function createNetNs(name: string, hostVeth: string, nsVeth: string, hostIp: string, nsIp: string): Promise<NetNs> {
  const ip = (args: string[]) => execa('ip', args);
  const remove = async () => {
    await execa('ip', ['link', 'del', hostVeth], { reject: false });
    await execa('ip', ['netns', 'del', name], { reject: false });
  };
  await remove();
  await ip(['netns', 'add', name]);
  await ip(['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', nsVeth]);
  await ip(['link', 'set', nsVeth, 'netns', name]);
  await ip(['addr', 'add', `${hostIp}/30`, 'dev', hostVeth]);
  await ip(['link', 'set', hostVeth, 'up']);
  await ip(['netns', 'exec', name, 'ip', 'addr', 'add', `${nsIp}/30`, 'dev', nsVeth]);
  await ip(['netns', 'exec', name, 'ip', 'link', 'set', nsVeth, 'up']);
  await ip(['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
  return {
    name,
    hostVeth,
    hostIp,
    nsIp,
    down: async () => void (await ip(['link', 'set', hostVeth, 'down'])),
    up: async () => void (await ip(['link', 'set', hostVeth, 'up'])),
    remove,
  };
}

/** Run a drover command inside a network namespace (`ip netns exec NS node dist/... args`). */
export function startDroverInNetns(ns: string, args: string[], env: Record<string, string> = {}): Proc {
  return startWithPrefix(['ip', 'netns', 'exec', ns, process.execPath, DROVER], args, env);
}

/** startDrover's tracking for a command other than `node DROVER` (`ip netns exec` execs node, so the pid is node's). */
function startWithPrefix(prefix: string[], args: string[], env: Record<string, string>): Proc {
  const [cmd, ...rest] = prefix as [string, ...string[]];
  const child = spawn(cmd, [...rest, ...args], {
    env: { ...process.env, DROVER_LOG_LEVEL: process.env.DROVER_LOG_LEVEL ?? 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  return track(child);
}

export type NodeCondition = { type: string; status: string; reason?: string; message?: string };
export interface NodeJson {
  metadata: { name: string };
  status?: { conditions?: NodeCondition[] };
}
export const condition = (n: NodeJson | undefined, type: string): string | undefined => n?.status?.conditions?.find((c) => c.type === type)?.status;
