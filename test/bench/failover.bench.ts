/**
 * Failover with the default settings: a 3-replica Deployment over two Docker agents; `kill -9` of the agent
 * (launcher and agent process) holding the most pods; time until the Deployment again has 3 pods Running and
 * ready, all on the surviving node. Default settings: NotReady at the MQTT last will (at once) or after 15 s
 * of silence, eviction after 30 s.
 */
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { cleanup, startAgent, startHub, waitFor, TEST_IMAGE } from '../e2e/support.js';
import type { BenchResult } from './run.js';

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string; ownerReferences?: unknown[] };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: failover}
spec:
  replicas: 3
  selector: {matchLabels: {app: failover}}
  template:
    metadata: {labels: {app: failover}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: ${TEST_IMAGE}
        imagePullPolicy: Never
        command: ["sleep", "3600"]
`;

const ready = (p: PodJson) => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export async function run(): Promise<BenchResult[]> {
  const hub = await startHub();
  const nodes = ['fo-a', 'fo-b'];
  const agents = new Map<string, Awaited<ReturnType<typeof startAgent>>>();
  try {
    for (const n of nodes) agents.set(n, await startAgent(hub, n, 'docker', (await hub.cli(['token', 'create'])).stdout.trim()));
    await waitFor('nodes Ready', async () => {
      const out = (await hub.cli(['get', 'nodes'])).stdout;
      return nodes.every((n) => new RegExp(`${n}\\s+Ready`).test(out));
    }, 60_000);
    await hub.cli(['apply', '-f', '-'], { input: DEPLOYMENT });
    const pods = await waitFor('3 ready pods', async () => {
      const list = await hub.json<{ items: PodJson[] }>(['get', 'pods', '-l', 'app=failover']);
      const live = list.items.filter((p) => !p.metadata.deletionTimestamp && ready(p));
      return live.length === 3 ? live : undefined;
    }, 120_000);
    const count = (n: string) => pods.filter((p) => p.spec.nodeName === n).length;
    const victim = count('fo-a') >= count('fo-b') ? 'fo-a' : 'fo-b';
    const survivor = victim === 'fo-a' ? 'fo-b' : 'fo-a';
    const launcher = agents.get(victim)!.child.pid!;
    const children = (await readFile(`/proc/${launcher}/task/${launcher}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean).map(Number);
    const t0 = performance.now();
    for (const pid of children) process.kill(pid, 'SIGKILL');
    process.kill(launcher, 'SIGKILL');
    let notReadyAt = 0;
    await waitFor('replacements ready on the survivor', async () => {
      if (!notReadyAt) {
        const out = (await hub.cli(['get', 'nodes'])).stdout;
        if (new RegExp(`${victim}\\s+NotReady`).test(out)) notReadyAt = performance.now();
      }
      const list = await hub.json<{ items: PodJson[] }>(['get', 'pods', '-l', 'app=failover']);
      const live = list.items.filter((p) => !p.metadata.deletionTimestamp && ready(p));
      return live.length === 3 && live.every((p) => p.spec.nodeName === survivor) ? true : undefined;
    }, 180_000, 200);
    const total = performance.now() - t0;
    return [
      { name: `kill -9 of an agent holding ${count(victim)} of 3 pods -> node NotReady`, value: Math.round(notReadyAt - t0), unit: 'ms', note: 'MQTT last will' },
      { name: 'kill -9 -> all 3 Deployment pods Running and ready on the other node', value: Math.round(total), unit: 'ms', note: 'default settings: eviction after 30 s' },
    ];
  } finally {
    for (const a of agents.values()) await a.stop();
    // the killed agent's containers outlive it (as they should): remove what this benchmark left
    for (const n of nodes) {
      const ids = (await execa('docker', ['ps', '-aq', '--filter', `label=io.drover.node=${n}`])).stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await execa('docker', ['rm', '-f', ...ids], { reject: false });
    }
    await hub.stop();
    await cleanup(hub.dir);
  }
}
