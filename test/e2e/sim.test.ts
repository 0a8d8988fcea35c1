/**
 * `drover sim` as a real process (its own process group, ended at the end) against a real `drover hub`:
 * 50 simulated nodes join and show Ready in the API, a Deployment's pods are bound to them and reported
 * Running, `drover logs` fails saying the node is simulated, deleting the Deployment removes every pod
 * (the simulated nodes complete the graceful deletions), and SIGTERM stops the simulator cleanly
 * (exit 0, every node NotReady).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProgress, type ProgressLine } from '../../agent/sim/progress.js';
import { cleanup, DROVER, startHub, waitFor, type TestHub } from './support.js';

const NODES = 50;
const REPLICAS = 100;
const PREFIX = 'e2esim-';

interface NodeJson {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}
interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

const readyOf = (n: NodeJson) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status;

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: simweb}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: simweb}}
  template:
    metadata: {labels: {app: simweb}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: web
        image: drover.local/busybox:test
        resources: {requests: {cpu: 10m, memory: 16Mi}}
`;

describe('drover sim (real processes)', () => {
  let hub: TestHub;
  let sim: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;
  const progress = (): ProgressLine[] => output.split('\n').map((l) => parseProgress(l)).filter((l): l is ProgressLine => !!l);
  const simNodes = async () => (await hub.json<{ items: NodeJson[] }>(['get', 'nodes'])).items.filter((n) => n.metadata.name.startsWith(PREFIX));
  const simPods = async () => (await hub.json<{ items: PodJson[] }>(['get', 'pods', '-l', 'app=simweb'])).items;

  beforeAll(async () => {
    hub = await startHub();
    const token = (await hub.cli(['token', 'create'])).stdout.trim();
    sim = spawn(
      process.execPath,
      [DROVER, 'sim', '--hub', hub.mqttUrl, '--token', token, '--nodes', String(NODES), '--name-prefix', PREFIX, '--data-dir', join(hub.dir, 'sim'),
        '--running-after', '200', '--pods-per-node', '20'],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...hub.env } },
    );
    sim.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    sim.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise((r) => sim.once('exit', (code) => r(code)));
  });

  afterAll(async () => {
    if (sim?.pid && sim.exitCode === null && sim.signalCode === null) process.kill(-sim.pid, 'SIGKILL');
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  });

  it(`brings ${NODES} nodes up: progress lines say so, and the API shows them Ready`, async () => {
    const up = await waitFor('sim-up', async () => progress().find((l) => l.kind === 'sim-up'), 120_000);
    expect(up).toMatchObject({ nodes: NODES, joined: NODES, everConnected: NODES });
    await waitFor(`${NODES} Ready nodes`, async () => {
      const nodes = await simNodes();
      return nodes.length === NODES && nodes.every((n) => readyOf(n) === 'True');
    }, 120_000, 500);
    expect((await hub.cli(['get', 'nodes'])).stdout).toMatch(new RegExp(`${PREFIX}00049\\s+Ready`));
  });

  it(`runs a Deployment of ${REPLICAS} on them: bound, reported Running`, async () => {
    await hub.cli(['apply', '-f', '-'], { input: DEPLOYMENT });
    const pods = await waitFor(`${REPLICAS} Running pods`, async () => {
      const list = await simPods();
      const running = list.filter((p) => p.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return running.length === REPLICAS ? running : undefined;
    }, 180_000, 500);
    expect(new Set(pods.map((p) => p.spec.nodeName)).size).toBeGreaterThan(1);
    expect(pods.every((p) => p.spec.nodeName?.startsWith(PREFIX))).toBe(true);
    await waitFor('the simulator counts them', async () => progress().at(-1)?.running === REPLICAS, 60_000);
    const logs = await hub.cli(['logs', pods[0]!.metadata.name], { reject: false });
    expect(logs.exitCode).toBe(1);
    expect(logs.stderr).toContain('simulated node');
  });

  it('deleting the Deployment removes every pod: the simulated nodes complete the deletions', async () => {
    await hub.cli(['delete', 'deployment', 'simweb']);
    await waitFor('no pods left', async () => (await simPods()).length === 0, 120_000, 500);
    await waitFor('the simulator holds none', async () => progress().at(-1)?.pods === 0 && progress().at(-1)?.stopping === 0, 60_000);
  });

  it('SIGTERM to its process group: clean stop, exit 0, every node NotReady', async () => {
    process.kill(-sim.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(progress().find((l) => l.kind === 'sim-stopped')).toMatchObject({ nodes: NODES, connected: 0 });
    await waitFor('every sim node NotReady', async () => (await simNodes()).every((n) => readyOf(n) === 'Unknown'), 60_000, 500);
    const node = (await simNodes())[0]!;
    expect(node.status?.conditions?.find((c) => c.type === 'Ready')?.message).toBe('agent went offline');
  });
});
