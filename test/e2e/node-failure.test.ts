/**
 * Node failure and maintenance, end to end with real processes: a `drover hub` with short grace
 * periods and two agents (containerd and Docker). A Deployment's pod runs on one node; that node's
 * agent is killed with SIGKILL (launcher and agent child), so it goes NotReady and is tainted, the pod
 * is evicted after the grace and replaced on the other node. When the agent comes back (same name and
 * data dir, no token), the evicted pod's stale container is stopped and removed and the pod leaves
 * the store: nothing runs twice. Then `drover drain` moves the pod back off the other node.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runtimeContainers, startAgent, startDrover, startHub, waitFor, TEST_IMAGE, type Proc, type TestHub } from './support.js';

type Runtime = 'docker' | 'containerd';
interface PodJson {
  metadata: { name: string; uid: string; deletionTimestamp?: string; ownerReferences?: { kind: string }[] };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string }[] };
}
interface NodeJson {
  metadata: { name: string };
  spec?: { unschedulable?: boolean; taints?: { key: string; effect: string; timeAdded?: string }[] };
  status?: { conditions?: { type: string; status: string }[] };
}
interface EventJson {
  involvedObject: { kind: string; name: string };
  reason: string;
  message: string;
}

const NODES: { node: string; runtime: Runtime }[] = [
  { node: 'nf-ctr', runtime: 'containerd' },
  { node: 'nf-docker', runtime: 'docker' },
];
const DEPLOYMENT = 'nf-sleeper';

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${DEPLOYMENT}
spec:
  replicas: 1
  selector:
    matchLabels:
      app: ${DEPLOYMENT}
  template:
    metadata:
      labels:
        app: ${DEPLOYMENT}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: main
          image: ${TEST_IMAGE}
          imagePullPolicy: Never
          command: ["sleep", "3600"]
          resources:
            requests:
              cpu: 10m
              memory: 8Mi
`;

const isReady = (n: NodeJson) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const runtimeOf = (node: string): Runtime => NODES.find((n) => n.node === node)!.runtime;

/** The pids of a process's children (Linux: /proc/PID/task/PID/children). */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

/** Leave nothing behind in the runtimes when a test failed half-way (a killed agent cleans up nothing). */
async function removeContainersOf(nodes: string[]): Promise<void> {
  for (const nodeName of nodes) {
    const docker = await execa('docker', ['ps', '-a', '-q', '--filter', `label=io.drover.node=${nodeName}`], { reject: false });
    for (const id of docker.stdout.split('\n').filter(Boolean)) await execa('docker', ['rm', '-f', id], { reject: false });
    const ctr = await execa('ctr', ['-n', 'drover', 'containers', 'ls', '-q', `labels."io.drover.node"==${nodeName}`], { reject: false });
    for (const id of ctr.stdout.split('\n').filter(Boolean)) {
      await execa('ctr', ['-n', 'drover', 'tasks', 'kill', '-s', 'SIGKILL', id], { reject: false });
      await execa('ctr', ['-n', 'drover', 'tasks', 'delete', '-f', id], { reject: false });
      await execa('ctr', ['-n', 'drover', 'containers', 'delete', id], { reject: false });
    }
  }
}

describe('node failure and drain (real hub, agents, containerd and Docker)', () => {
  let hub: TestHub;
  const agents = new Map<string, Proc>();

  const pods = async () => (await hub.json<{ items: PodJson[] }>(['get', 'pods', '-l', `app=${DEPLOYMENT}`])).items;
  const node = (name: string) => hub.json<NodeJson>(['get', 'node', name]);
  const events = async () => (await hub.json<{ items: EventJson[] }>(['get', 'events', '-n', 'default'])).items;
  const step = (what: string) => console.log(`[node-failure] ${what}`);
  const runningPod = (onNode?: string) =>
    waitFor(`a running ${DEPLOYMENT} pod${onNode ? ` on ${onNode}` : ''}`, async () => {
      const live = (await pods()).filter((p) => !p.metadata.deletionTimestamp && p.status?.phase === 'Running');
      return live.length === 1 && (!onNode || live[0]!.spec.nodeName === onNode) ? live[0] : undefined;
    }, 90_000);

  beforeAll(async () => {
    // A killed agent's last will makes its node NotReady at once; the status grace only has to be
    // long enough for a busy machine not to miss the live node's heartbeats.
    hub = await startHub(['--node-monitor-grace', '20s', '--eviction-grace', '5s']);
    for (const { node: name, runtime } of NODES) {
      const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
      agents.set(name, await startAgent(hub, name, runtime, token.trim()));
    }
    await waitFor('both nodes Ready', async () => {
      const list = await hub.json<{ items: NodeJson[] }>(['get', 'nodes']);
      return list.items.filter(isReady).length === NODES.length ? true : undefined;
    }, 60_000);
  }, 120_000);

  afterAll(async () => {
    await hub?.cli(['delete', 'deployment', DEPLOYMENT, '--wait=false'], { reject: false });
    for (const a of agents.values()) await a.stop();
    await hub?.stop();
    await removeContainersOf(NODES.map((n) => n.node));
    if (hub) await cleanup(hub.dir);
  });

  it('evicts the pod of a killed node after the grace, and the returning agent removes its stale container', async () => {
    await hub.cli(['apply', '-f', '-'], { input: MANIFEST });
    step('deployment applied');
    const first = await runningPod();
    step(`pod ${first.metadata.name} running on ${first.spec.nodeName}`);
    const failed = first.spec.nodeName!;
    const other = NODES.find((n) => n.node !== failed)!.node;
    const runtime = runtimeOf(failed);
    expect(await runtimeContainers(runtime, first.metadata.name)).toHaveLength(1);

    // kill -9 the launcher and the agent it spawned
    const launcher = agents.get(failed)!;
    const launcherPid = launcher.child.pid!;
    const agentPids = await childrenOf(launcherPid);
    expect(agentPids.length).toBeGreaterThan(0);
    for (const pid of agentPids) process.kill(pid, 'SIGKILL');
    process.kill(launcherPid, 'SIGKILL');
    await launcher.stop();
    step(`agent of ${failed} killed`);

    const tainted = await waitFor(`${failed} tainted unreachable`, async () => {
      const n = await node(failed);
      return !isReady(n) && n.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') ? n : undefined;
    }, 30_000);
    expect(tainted.spec?.taints?.find((t) => t.key === 'node.kubernetes.io/unreachable')?.timeAdded).toBeTruthy();

    step(`${failed} tainted`);
    const evicted = await waitFor('the pod evicted', async () => {
      const p = (await pods()).find((x) => x.metadata.uid === first.metadata.uid);
      return p?.metadata.deletionTimestamp ? p : undefined;
    }, 30_000);
    // Terminating, not deleted: nobody has confirmed the container stopped
    expect(evicted.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NodeNotReady' });
    step('pod evicted');
    const replacement = await runningPod(other);
    step(`replacement ${replacement.metadata.name} running on ${other}`);
    expect(replacement.metadata.uid).not.toBe(first.metadata.uid);
    // the dead node's container is still there: its agent is gone
    expect(await runtimeContainers(runtime, first.metadata.name)).toHaveLength(1);

    const reasons = (await events()).map((e) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}`);
    expect(reasons).toContain(`Node/${failed} NodeNotReady`);
    expect(reasons).toContain(`Pod/${first.metadata.name} TaintManagerEviction`);
    expect((await events()).filter((e) => e.reason === 'TaintManagerEviction').map((e) => e.message)).toEqual([`Marking for deletion Pod default/${first.metadata.name}`]);

    // the agent comes back: same name and data dir, its credential instead of a token
    agents.set(
      failed,
      startDrover(['agent', '--hub', hub.mqttUrl, '--name', failed, '--runtime', runtime, '--data-dir', join(hub.dir, `agent-${failed}`), '--status-interval', '2', '--no-pod-network'], hub.env),
    );
    await waitFor(`${failed} Ready and untainted`, async () => {
      const n = await node(failed);
      return isReady(n) && !n.spec?.taints?.some((t) => t.effect === 'NoExecute') ? true : undefined;
    }, 60_000);
    step(`${failed} back`);
    await waitFor('the evicted pod gone from the store', async () => ((await pods()).some((p) => p.metadata.uid === first.metadata.uid) ? undefined : true), 60_000);
    await waitFor('the stale container gone from the runtime', async () => ((await runtimeContainers(runtime, first.metadata.name)).length === 0 ? true : undefined), 30_000);
    expect((await events()).map((e) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}`)).toContain(`Node/${failed} NodeReady`);
    // one copy, still on the other node
    const now = await runningPod(other);
    expect(now.metadata.uid).toBe(replacement.metadata.uid);
    expect(await runtimeContainers(runtimeOf(other), replacement.metadata.name)).toHaveLength(1);
  }, 300_000);

  it('drain cordons a node and moves its pod away; uncordon opens it again', async () => {
    const before = await runningPod();
    const drained = before.spec.nodeName!;
    const target = NODES.find((n) => n.node !== drained)!.node;
    const r = await hub.cli(['drain', drained, '--ignore-daemonsets', '--timeout', '60s']);
    expect(r.stdout.split('\n')).toEqual([
      `node/${drained} cordoned`,
      `evicting pod default/${before.metadata.name}`,
      `pod/${before.metadata.name} evicted`,
      `node/${drained} drained`,
    ]);
    const n = await node(drained);
    expect(n.spec?.unschedulable).toBe(true);
    expect(n.spec?.taints?.map((t) => `${t.key}:${t.effect}`)).toContain('node.kubernetes.io/unschedulable:NoSchedule');
    expect(await runtimeContainers(runtimeOf(drained), before.metadata.name)).toEqual([]);
    const moved = await runningPod(target);
    expect(moved.metadata.uid).not.toBe(before.metadata.uid);

    expect((await hub.cli(['uncordon', drained])).stdout).toBe(`node/${drained} uncordoned`);
    await waitFor('the unschedulable taint lifted', async () => ((await node(drained)).spec?.taints ?? []).length === 0 || undefined, 30_000);
  }, 180_000);
});
