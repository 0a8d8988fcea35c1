/**
 * The device goes on alone. One hub (fixed ports, so a restarted hub is found again) and one Docker
 * agent with two pods:
 *   - hub kill -9 and restart: the containers keep their ids and start times, the node is Ready again;
 *   - status while offline: a container killed while the hub is down is restarted by the agent, and
 *     the restart count and the BackOff event reach the hub once it is back;
 *   - agent restart with no hub in reach: the stored desired set comes back, the still-running
 *     container is adopted (same id), the removed one is started again, no pod runs twice.
 */
import { execa } from 'execa';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  api,
  cleanup,
  condition,
  dockerContainers,
  figure,
  joinAgent,
  kill9,
  removeDockerPods,
  restartAgent,
  startHubAt,
  waitFor,
  TEST_IMAGE,
  type NodeJson,
  type Proc,
  type TestHub,
} from './support.js';

const NODE = 'ch-offline';
const HTTP_PORT = 18701;
const MQTT_PORT = 18702;
const PODS = ['ch-off-a', 'ch-off-b'];

interface PodJson {
  metadata: { name: string };
  status?: { phase?: string; containerStatuses?: { restartCount: number; containerID?: string }[] };
}
interface EventJson {
  reason?: string;
  involvedObject?: { name?: string };
}

const manifest = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeSelector:
    kubernetes.io/hostname: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sleep", "3600"]
`;

describe('offline autonomy (hub and agent restarts, Docker)', () => {
  let base: string;
  let hub: TestHub | undefined;
  let agent: Proc | undefined;
  const agentDir = () => join(base, `agent-${NODE}`);

  const startTheHub = async () => {
    hub = await startHubAt(base, HTTP_PORT, MQTT_PORT, ['--node-monitor-grace', '6s', '--eviction-grace', '5m']);
    token = await adminToken(hub);
    return hub;
  };
  let token = '';
  const node = async () => (await api<NodeJson>(hub!, token, 'GET', `/api/v1/nodes/${NODE}`)).body;
  const pod = async (name: string) => (await api<PodJson>(hub!, token, 'GET', `/api/v1/namespaces/default/pods/${name}`)).body;
  const runningIds = async (name: string) => (await dockerContainers(name)).filter((c) => c.running);
  const allRunning = async () => {
    for (const p of PODS) {
      const s = await pod(p);
      if (s.status?.phase !== 'Running') return false;
      if ((await runningIds(p)).length !== 1) return false;
    }
    return true;
  };

  beforeAll(async () => {
    await removeDockerPods('ch-off-');
    base = await mkdtemp(join(tmpdir(), 'drover-chaos-offline-'));
    await startTheHub();
    agent = await joinAgent(hub!, agentDir(), NODE, 'docker');
    await waitFor('node Ready', async () => condition(await node(), 'Ready') === 'True', 60_000);
    for (const p of PODS) await hub!.cli(['apply', '-f', '-'], { input: manifest(p) });
    await waitFor('both pods Running', allRunning, 90_000);
  });

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop();
    await removeDockerPods('ch-off-');
    if (base) await cleanup(base);
  });

  it('hub kill -9 and restart: running containers untouched, node Ready again', async () => {
    const before = await Promise.all(PODS.map((p) => dockerContainers(p)));
    await kill9(hub!.proc);
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 2_000));
    await startTheHub();
    const restartedAt = Date.now();
    // Ready with a heartbeat from after the restart: the agent reattached
    await waitFor(
      'the agent to reattach',
      async () => {
        const n = await node();
        const ready = n?.status?.conditions?.find((c) => c.type === 'Ready') as { status: string; lastHeartbeatTime?: string } | undefined;
        return ready?.status === 'True' && Date.parse(ready.lastHeartbeatTime ?? '') > restartedAt;
      },
      90_000,
    );
    figure('hub-restart.agent-reattach', Date.now() - restartedAt, 'ms');
    figure('hub-restart.total-outage', Date.now() - killedAt, 'ms');
    await waitFor('both pods Running', allRunning, 30_000);
    const after = await Promise.all(PODS.map((p) => dockerContainers(p)));
    expect(after).toEqual(before);
  }, 240_000);

  it('status changed while the hub is down reaches it when it returns', async () => {
    const [victim] = await runningIds('ch-off-b');
    expect(victim).toBeDefined();
    await hub!.stop();
    await execa('docker', ['kill', victim!.id]);
    // the agent restarts it on its own (restartPolicy Always, after the first back-off)
    const restarted = await waitFor('the agent to restart the killed container', async () => (await runningIds('ch-off-b')).find((c) => c.id !== victim!.id), 60_000);
    expect(restarted.running).toBe(true);
    await startTheHub();
    await waitFor(
      'the restart count to reach the hub',
      async () => {
        const s = await pod('ch-off-b');
        const cs = s.status?.containerStatuses?.[0];
        return (cs?.restartCount ?? 0) >= 1 && cs?.containerID?.endsWith(restarted.id) === true;
      },
      60_000,
    );
    const events = (await api<{ items: EventJson[] }>(hub!, token, 'GET', '/api/v1/namespaces/default/events')).body;
    const reasons = events.items.filter((e) => e.involvedObject?.name === 'ch-off-b').map((e) => e.reason);
    expect(reasons).toContain('BackOff');
    // the untouched pod kept its container
    expect((await pod('ch-off-a')).status?.containerStatuses?.[0]?.restartCount).toBe(0);
  }, 240_000);

  it('agent restart with no hub: stored desired set restored, running container adopted, removed one restarted', async () => {
    const [keep] = await runningIds('ch-off-a');
    const [gone] = await runningIds('ch-off-b');
    await hub!.stop();
    await agent!.stop();
    await execa('docker', ['rm', '-f', gone!.id]);
    const startedAt = Date.now();
    agent = restartAgent(agentDir(), NODE, 'docker', hub!.env);
    const back = await waitFor('the removed pod to run again without a hub', async () => (await runningIds('ch-off-b'))[0], 60_000, 100);
    figure('agent-restart-offline.restore', Date.now() - startedAt, 'ms');
    expect(back.id).not.toBe(gone!.id);
    expect(await runningIds('ch-off-a')).toEqual([keep]);
    expect(agent.output()).toMatch(/running the stored desired set/);

    await startTheHub();
    await waitFor('node Ready again', async () => condition(await node(), 'Ready') === 'True', 60_000);
    await waitFor('both pods Running, one container each', allRunning, 60_000);
    expect(await runningIds('ch-off-a')).toEqual([keep]);
    expect((await runningIds('ch-off-b')).map((c) => c.id)).toEqual([back.id]);
  }, 240_000);
});
