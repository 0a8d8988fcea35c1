/**
 * The walking skeleton's figures: time from `drover apply` to the pod answering on its hostPort (per runtime),
 * the idle memory (RSS) of the hub and of an agent, and the CPU an agent spends over a minute with one
 * running pod (its own and its children's: the docker/ctr commands it runs).
 */
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { cleanup, rssKiB, startAgent, startHub, waitFor, TEST_IMAGE, type Proc } from '../e2e/support.js';
import type { BenchResult } from './run.js';

const ROUNDS = 3;
const CPU_WINDOW_MS = 60_000;

/** utime + stime + cutime + cstime of a process, in clock ticks (100 a second on Linux). */
async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
}

/** A pod pinned to `node`: with a port, busybox httpd answering on it; without, a sleeping container. */
function manifest(name: string, node: string, port?: number): string {
  const command = port === undefined
    ? '["sleep", "3600"]'
    : `["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p ${port} -h /www"]`;
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${node}}
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: ${TEST_IMAGE}
    imagePullPolicy: Never
    command: ${command}
${port === undefined ? '' : `    ports: [{containerPort: ${port}, hostPort: ${port}}]\n`}`;
}

/** `drover agent` runs the agent's own entry point as its child: that process (what a device runs under systemd). */
async function agentPidOf(proc: Proc): Promise<number> {
  const pid = proc.child.pid!;
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean);
  return children.length > 0 ? Number(children[0]) : pid;
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const hub = await startHub();
  const agents: { runtime: 'containerd' | 'docker'; node: string; port: number; proc: Proc }[] = [];
  try {
    const nodes = [
      { runtime: 'containerd' as const, node: 'bench-ctr', port: 18281 },
      { runtime: 'docker' as const, node: 'bench-docker', port: 18282 },
    ];
    for (const n of nodes) {
      const token = (await hub.cli(['token', 'create'])).stdout.trim();
      agents.push({ ...n, proc: await startAgent(hub, n.node, n.runtime, token) });
    }
    await waitFor('nodes Ready', async () => {
      const out = (await hub.cli(['get', 'nodes'])).stdout;
      return nodes.every((n) => new RegExp(`${n.node}\\s+Ready`).test(out));
    });
    for (const n of nodes) {
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const name = `bench-${n.runtime}-${i}`;
        const t0 = performance.now();
        await hub.cli(['apply', '-f', '-'], { input: manifest(name, n.node, n.port) });
        await waitFor('answer', async () => (await fetch(`http://127.0.0.1:${n.port}/`).catch(() => undefined))?.ok, 60_000, 20);
        times.push(performance.now() - t0);
        await hub.cli(['delete', 'pod', name]);
      }
      times.sort((a, b) => a - b);
      results.push({ name: `apply -> answering (${n.runtime}), median of ${ROUNDS}`, value: Math.round(times[Math.floor(ROUNDS / 2)]!), unit: 'ms', note: `min ${Math.round(times[0]!)} ms, max ${Math.round(times[ROUNDS - 1]!)} ms; includes the CLI process start` });
    }
    await new Promise((r) => setTimeout(r, 10_000)); // settle to idle
    const load = `load average ${loadavg()[0]!.toFixed(2)} when measured`;
    results.push({ name: 'hub idle RSS (2 nodes, 0 pods)', value: Math.round((await rssKiB(hub.proc.child.pid!)) / 1024), unit: 'MiB' });
    for (const a of agents) {
      const pid = a.proc.child.pid!;
      const agentPid = await agentPidOf(a.proc);
      results.push({ name: `agent idle RSS (${a.runtime})`, value: Math.round((await rssKiB(agentPid)) / 1024), unit: 'MiB', note: `the agent process itself, without the \`drover agent\` launcher; ${load}` });
      if (agentPid !== pid) {
        results.push({ name: `\`drover agent\` launcher idle RSS (${a.runtime})`, value: Math.round((await rssKiB(pid)) / 1024), unit: 'MiB', note: 'the parent that waits for the agent; most of it shared with the agent (the node binary)' });
      }
    }
    // CPU with one running pod each, both agents measured over the same minute
    for (const a of agents) await hub.cli(['apply', '-f', '-'], { input: manifest(`bench-cpu-${a.runtime}`, a.node) });
    await waitFor('the pods Running', async () => {
      const out = (await hub.cli(['get', 'pods'])).stdout;
      return agents.every((a) => new RegExp(`bench-cpu-${a.runtime}\\s+1/1\\s+Running`).test(out));
    }, 120_000);
    await new Promise((r) => setTimeout(r, 10_000));
    const agentPids = await Promise.all(agents.map((a) => agentPidOf(a.proc)));
    const before = await Promise.all(agentPids.map(cpuTicks));
    await new Promise((r) => setTimeout(r, CPU_WINDOW_MS));
    const after = await Promise.all(agentPids.map(cpuTicks));
    agents.forEach((a, i) => {
      const percent = ((after[i]! - before[i]!) / 100 / (CPU_WINDOW_MS / 1000)) * 100;
      results.push({
        name: `agent CPU with 1 running pod (${a.runtime})`,
        value: Math.round(percent * 10) / 10,
        unit: '% of a core',
        note: `over 60 s, the agent and the docker/ctr commands it ran; node status every 2 s (the tests' setting; default 5 s); load average ${loadavg()[0]!.toFixed(2)} at the end`,
      });
    });
    for (const a of agents) await hub.cli(['delete', 'pod', `bench-cpu-${a.runtime}`]);
  } finally {
    for (const a of agents) await a.proc.stop();
    await hub.stop();
    await cleanup(hub.dir);
  }
  return results;
}
