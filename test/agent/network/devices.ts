/**
 * "Devices" for the pod network's real tests, each its own network namespace on one LAN: the LAN is a
 * bridge (lan0) inside a namespace of its own (so the host's firewall, Docker's FORWARD drop among it, is
 * not in the path), the host joins it by a veth (<prefix>-h, the LAN's .1), and each device by a veth whose
 * device end is its eth0. What crosses between devices really crosses a link: the VXLAN overlay rides on it.
 *
 * Everything is named from the test's own prefix (namespaces <prefix>-*, host links <prefix>-*, pods'
 * namespaces <prefix>p*) and removed by it (cleanupPrefix), before and after a test, even a failed one.
 * Processes a test starts run in their own process group and are ended by the group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execa } from 'execa';
import type { ProcessRunner } from '../../../runtime-adapters/process-runner.js';
import { createExecaRunner } from '../../../runtime-adapters/process-runner.js';

export interface Lan {
  prefix: string;
  ns: string;
  /** The host's address on the LAN. */
  hostIP: string;
  subnet: string;
}

export interface Device {
  name: string;
  ns: string;
  ip: string;
  /** Run a command inside the device's namespace. */
  exec(file: string, args: string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;
  /** A ProcessRunner whose commands run inside the device's namespace (the pod network driven from the test). */
  runner: ProcessRunner;
}

const ip = (args: string[]) => execa('ip', args);

/** `base` is the LAN's first three octets, e.g. "10.77.0". */
export async function createLan(prefix: string, base: string): Promise<Lan> {
  await cleanupPrefix(prefix);
  const ns = `${prefix}-lan`;
  await ip(['netns', 'add', ns]);
  await ip(['-n', ns, 'link', 'add', 'lan0', 'type', 'bridge']);
  await ip(['-n', ns, 'link', 'set', 'lan0', 'up']);
  await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  await ip(['link', 'add', `${prefix}-h`, 'type', 'veth', 'peer', 'name', `${prefix}-hl`]);
  await ip(['link', 'set', `${prefix}-hl`, 'netns', ns]);
  await ip(['-n', ns, 'link', 'set', `${prefix}-hl`, 'master', 'lan0', 'up']);
  await ip(['addr', 'add', `${base}.1/24`, 'dev', `${prefix}-h`]);
  await ip(['link', 'set', `${prefix}-h`, 'up']);
  return { prefix, ns, hostIP: `${base}.1`, subnet: `${base}.0/24` };
}

export async function addDevice(lan: Lan, name: string, address: string): Promise<Device> {
  const ns = `${lan.prefix}-${name}`;
  const lanEnd = `${lan.prefix}-${name}l`;
  await ip(['netns', 'add', ns]);
  await ip(['link', 'add', lanEnd, 'type', 'veth', 'peer', 'name', `${lan.prefix}-${name}d`]);
  await ip(['link', 'set', lanEnd, 'netns', lan.ns]);
  await ip(['-n', lan.ns, 'link', 'set', lanEnd, 'master', 'lan0', 'up']);
  await ip(['link', 'set', `${lan.prefix}-${name}d`, 'netns', ns]);
  await ip(['-n', ns, 'link', 'set', `${lan.prefix}-${name}d`, 'name', 'eth0']);
  await ip(['-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
  await ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
  await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  await ip(['-n', ns, 'route', 'add', 'default', 'via', lan.hostIP]);
  const real = createExecaRunner();
  const runner: ProcessRunner = (file, args, options) => real('ip', ['netns', 'exec', ns, file, ...args], options);
  return {
    name,
    ns,
    ip: address,
    runner,
    async exec(file, args) {
      const r = await execa('ip', ['netns', 'exec', ns, file, ...args], { reject: false });
      return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
  };
}

/**
 * Remove every namespace and host link named from the prefix (devices, the LAN, pods' namespaces: <prefix>p*,
 * or drover-<prefix>* for an agent process's pods, whose uids the test starts with the prefix).
 */
export async function cleanupPrefix(prefix: string): Promise<void> {
  const list = await execa('ip', ['netns', 'list'], { reject: false });
  for (const line of String(list.stdout).split('\n')) {
    const name = line.split(' ')[0];
    if (name && (name.startsWith(`${prefix}-`) || name.startsWith(`${prefix}p`) || name.startsWith(`drover-${prefix}`))) {
      await execa('ip', ['netns', 'delete', name], { reject: false });
    }
  }
  const links = await execa('ip', ['-o', 'link', 'show'], { reject: false });
  for (const line of String(links.stdout).split('\n')) {
    const name = line.split(': ')[1]?.split('@')[0];
    if (name?.startsWith(`${prefix}-`)) await execa('ip', ['link', 'del', name], { reject: false });
  }
}

/** Remove containerd containers (namespace `ns`) whose id starts with the prefix. */
export async function removeCtrContainers(namespace: string, idPrefix: string): Promise<void> {
  const ls = await execa('ctr', ['--namespace', namespace, 'containers', 'ls', '--quiet'], { reject: false });
  for (const id of String(ls.stdout).split('\n').map((l) => l.trim()).filter((l) => l.startsWith(idPrefix))) {
    await execa('ctr', ['--namespace', namespace, 'tasks', 'kill', '--signal', 'SIGKILL', id], { reject: false });
    for (let i = 0; i < 50; i++) {
      const t = await execa('ctr', ['--namespace', namespace, 'tasks', 'delete', '--force', id], { reject: false });
      if (t.exitCode === 0 || /not found/i.test(String(t.stderr))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await execa('ctr', ['--namespace', namespace, 'containers', 'delete', id], { reject: false });
  }
}

/** A process started in its own process group (detached), ended by the group. */
export interface GroupProc {
  child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function startInGroup(file: string, args: string[], env: Record<string, string> = {}): GroupProc {
  const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // gone already
        }
      }, 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Poll `fn` until it returns something truthy (no deadline of its own: the test's timeout bounds it). */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, everyMs = 200): Promise<T> {
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
    if (process.env.DNT_DEBUG && last) process.stderr.write(`waiting for ${what}: ${String(last)}\n`);
  }
}
