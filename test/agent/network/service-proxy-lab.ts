/**
 * A node and its pods in network namespaces, for the service proxy and cluster DNS tests:
 *
 *   <prefix>-ext  eth0 192.168.77.2/24 ─── veth ─── ext0 192.168.77.1/24  <prefix>-node
 *                                                  br0  10.42.0.1/24 (default route via 192.168.77.2)
 *   <prefix>-pod1 eth0 10.42.0.2/24 ─── veth ─── vp1 ─┤
 *   <prefix>-pod2 eth0 10.42.0.3/24 ─── veth ─── vp2 ─┤
 *   <prefix>-pod3 eth0 10.42.0.4/24 ─── veth ─── vp3 ─┘   (pods' default route via 10.42.0.1;
 *                                                           bridge ports in hairpin mode)
 *
 * Each pod runs a server (node): TCP 8080 writes its name on connect and answers each line with
 * `<name>:<line>`, UDP 5353 answers each datagram with its name. Clients are node processes run in a
 * namespace. Every process runs in its own process group and is ended by the lab; every namespace and
 * /etc/netns/<ns> directory of the prefix is removed at the start (leftovers of a failed run) and the end.
 */
import { execa } from 'execa';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const NODE_LAN_IP = '192.168.77.1';
export const EXT_IP = '192.168.77.2';
export const BRIDGE_IP = '10.42.0.1';
export const POD_IPS = ['10.42.0.2', '10.42.0.3', '10.42.0.4'] as const;

const SERVER = `
const net = require('node:net'), dgram = require('node:dgram');
const name = process.argv[1];
let up = 0;
const ready = () => { if (++up === 2) console.log('ready'); };
net.createServer((s) => {
  s.on('error', () => {});
  s.write(name + '\\n');
  let buf = '';
  s.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\n')) >= 0) { s.write(name + ':' + buf.slice(0, i) + '\\n'); buf = buf.slice(i + 1); }
  });
}).listen(8080, '0.0.0.0', ready);
const u = dgram.createSocket('udp4');
u.on('message', (m, r) => u.send(name, r.port, r.address));
u.bind(5353, '0.0.0.0', ready);
`;

/** N connections (or datagrams from fresh sockets) one after another: how many each answer (or error code) got. */
const TALLY = `
const net = require('node:net'), dgram = require('node:dgram');
const [mode, host, port, count] = process.argv.slice(1);
const tcp = () => new Promise((resolve) => {
  const s = net.connect({ host, port: Number(port) });
  let buf = '';
  const t = setTimeout(() => { s.destroy(); resolve('ETIMEDOUT'); }, 10000);
  s.on('data', (d) => { buf += d; const i = buf.indexOf('\\n'); if (i >= 0) { clearTimeout(t); s.destroy(); resolve(buf.slice(0, i)); } });
  s.on('error', (e) => { clearTimeout(t); resolve(e.code); });
});
const udp = () => new Promise((resolve) => {
  const s = dgram.createSocket('udp4');
  const done = (r) => { clearTimeout(t); s.close(); resolve(r); };
  const t = setTimeout(() => done('ETIMEDOUT'), 3000);
  s.on('error', (e) => done(e.code));
  s.on('message', (m) => done(m.toString()));
  s.connect(Number(port), host, (e) => e ? done(e.code) : s.send('q'));
});
(async () => {
  const tally = {};
  for (let i = 0; i < Number(count); i++) { const r = await (mode === 'udp' ? udp() : tcp()); tally[r] = (tally[r] || 0) + 1; }
  console.log(JSON.stringify(tally));
})();
`;

/** One TCP connection kept open: prints what arrives, sends each stdin line. */
const HOLD = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const s = net.connect({ host, port: Number(port) });
s.on('data', (d) => process.stdout.write(d));
s.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
s.on('close', () => { console.log('closed'); process.exit(0); });
process.stdin.on('data', (d) => s.write(d));
`;

export interface LabProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves with the output once `pattern` appears in it. */
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<string>;
  write(text: string): void;
  stop(): Promise<void>;
}

export interface Lab {
  prefix: string;
  node: string;
  ext: string;
  pods: string[];
  /** /run/netns/<node>: where the proxy programs its rules. */
  nodeNetnsPath: string;
  /** Start a long-lived process in a namespace (own process group). */
  start(ns: string, argv: string[], opts?: { cwd?: string }): LabProcess;
  /** Run node with a script in a namespace and return its stdout. */
  nodeScript(ns: string, script: string, args: string[]): Promise<string>;
  tally(ns: string, mode: 'tcp' | 'udp', host: string, port: number, count: number): Promise<Record<string, number>>;
  hold(ns: string, host: string, port: number): Promise<LabProcess & { endpoint: string }>;
  /** ip/nft/... inside a namespace. */
  exec(ns: string, argv: string[]): Promise<string>;
  destroy(): Promise<void>;
}

async function removeByPrefix(prefix: string): Promise<void> {
  const { stdout } = await execa('ip', ['netns', 'list'], { reject: false });
  const names = stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(`${prefix}-`));
  for (const ns of names) {
    // processes a failed run left in our namespaces: ours by the namespace's name
    const pids = (await execa('ip', ['netns', 'pids', ns], { reject: false })).stdout.split('\n').filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await execa('ip', ['netns', 'del', ns], { reject: false });
    await rm(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
}

export async function createLab(prefix: string, opts: { pods?: number; resolvConf?: string } = {}): Promise<Lab> {
  const podCount = opts.pods ?? 3;
  await removeByPrefix(prefix);
  const node = `${prefix}-node`;
  const ext = `${prefix}-ext`;
  const pods = Array.from({ length: podCount }, (_, i) => `${prefix}-pod${i + 1}`);
  const processes = new Set<LabProcess>();
  const ip = (args: string[]) => execa('ip', args);
  const inNs = (ns: string, argv: string[]) => execa('ip', ['netns', 'exec', ns, ...argv]);

  const lab: Lab = {
    prefix,
    node,
    ext,
    pods,
    nodeNetnsPath: `/run/netns/${node}`,
    start(ns, argv, startOpts = {}) {
      const child = spawn('ip', ['netns', 'exec', ns, ...argv], { cwd: startOpts.cwd ?? ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      const proc: LabProcess = {
        child,
        output: () => out,
        waitFor: (pattern, what, timeoutMs = 30_000) =>
          new Promise((resolvePromise, reject) => {
            const deadline = Date.now() + timeoutMs;
            const check = () => {
              if (pattern.test(out)) return resolvePromise(out);
              if (child.exitCode !== null || Date.now() > deadline) return reject(new Error(`${what}: not seen (exit ${child.exitCode}); output:\n${out}`));
              setTimeout(check, 20);
            };
            check();
          }),
        write: (text) => void child.stdin!.write(text),
        async stop() {
          processes.delete(proc);
          if (child.exitCode === null && child.pid) {
            try {
              process.kill(-child.pid, 'SIGTERM');
            } catch {
              // already gone
            }
            const timer = setTimeout(() => {
              try {
                process.kill(-child.pid!, 'SIGKILL');
              } catch {
                // already gone
              }
            }, 3_000);
            await exited;
            clearTimeout(timer);
          }
        },
      };
      processes.add(proc);
      return proc;
    },
    async nodeScript(ns, script, args) {
      const { stdout } = await execa('ip', ['netns', 'exec', ns, process.execPath, '-e', script, ...args], { cwd: ROOT, timeout: 120_000 });
      return stdout;
    },
    async tally(ns, mode, host, port, count) {
      return JSON.parse(await lab.nodeScript(ns, TALLY, [mode, host, String(port), String(count)])) as Record<string, number>;
    },
    async hold(ns, host, port) {
      const p = lab.start(ns, [process.execPath, '-e', HOLD, host, String(port)]);
      const out = await p.waitFor(/\n/, `a connection to ${host}:${port}`);
      return Object.assign(p, { endpoint: out.split('\n')[0]! });
    },
    async exec(ns, argv) {
      return (await inNs(ns, argv)).stdout;
    },
    async destroy() {
      await Promise.all([...processes].map((p) => p.stop()));
      await removeByPrefix(prefix);
    },
  };

  try {
    for (const ns of [node, ext, ...pods]) {
      await ip(['netns', 'add', ns]);
      await inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
    }
    await inNs(node, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    await inNs(node, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    await inNs(node, ['ip', 'addr', 'add', `${BRIDGE_IP}/24`, 'dev', 'br0']);
    await inNs(node, ['ip', 'link', 'set', 'br0', 'up']);
    for (const [i, pod] of pods.entries()) {
      const hostEnd = `vp${i + 1}`;
      await ip(['-n', node, 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod]);
      await inNs(node, ['ip', 'link', 'set', hostEnd, 'master', 'br0', 'up']);
      // hairpin mode, as CNI's bridge plugin sets with hairpinMode: true: with br_netfilter loaded
      // (bridge-nf-call-iptables=1), a pod whose Service connection is DNATed to itself is bridged back
      // out of the port it came in on, which a bridge port does not do otherwise
      await inNs(node, ['bridge', 'link', 'set', 'dev', hostEnd, 'hairpin', 'on']);
      await inNs(pod, ['ip', 'addr', 'add', `${POD_IPS[i]}/24`, 'dev', 'eth0']);
      await inNs(pod, ['ip', 'link', 'set', 'eth0', 'up']);
      await inNs(pod, ['ip', 'route', 'add', 'default', 'via', BRIDGE_IP]);
      if (opts.resolvConf) {
        await mkdir(`/etc/netns/${pod}`, { recursive: true });
        await writeFile(`/etc/netns/${pod}/resolv.conf`, opts.resolvConf);
      }
    }
    await ip(['-n', node, 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ext]);
    await inNs(node, ['ip', 'addr', 'add', `${NODE_LAN_IP}/24`, 'dev', 'ext0']);
    await inNs(node, ['ip', 'link', 'set', 'ext0', 'up']);
    await inNs(node, ['ip', 'route', 'add', 'default', 'via', EXT_IP]);
    await inNs(ext, ['ip', 'addr', 'add', `${EXT_IP}/24`, 'dev', 'eth0']);
    await inNs(ext, ['ip', 'link', 'set', 'eth0', 'up']);
  } catch (e) {
    await lab.destroy();
    throw e;
  }
  return lab;
}

/** Starts each pod's TCP/UDP server and waits until it listens. */
export async function startPodServers(lab: Lab): Promise<LabProcess[]> {
  const servers = lab.pods.map((pod, i) => lab.start(pod, [process.execPath, '-e', SERVER, `pod${i + 1}`]));
  await Promise.all(servers.map((s, i) => s.waitFor(/ready/, `pod${i + 1}'s server`)));
  return servers;
}
