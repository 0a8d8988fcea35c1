/**
 * A network partition: the agent runs in its own network namespace (ch-part), joined to the host by a
 * veth pair in 10.213.0.0/30 that exists only inside this machine; the hub's MQTT (mqtts) listens on
 * 10.213.0.1. Cutting the link makes the node NotReady while its pod keeps running on the device; the
 * pod is evicted (eviction grace 4 s) and its Deployment makes a replacement, which cannot be placed
 * until the node is back. After the link returns everything converges: the evicted pod's container is
 * stopped, the replacement runs, and no pod ever runs twice.
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
  createNetNs,
  figure,
  joinAgent,
  removeDockerPods,
  startDroverInNetns,
  startHub,
  waitFor,
  TEST_IMAGE,
  type NetNs,
  type NodeJson,
  type Proc,
  type TestHub,
} from './support.js';

const NODE = 'ch-part';
const HOST_IP = '10.213.0.1';
const NS_IP = '10.213.0.2';
const MQTT_PORT = 18711;
const PLAIN_PORT = 18712;
/** A second node on the host side: with no node Ready at all the hub pauses evictions (full disruption). */
const PEER = 'ch-part-peer';
const DEPLOYMENT = 'ch-part-web';

interface PodJson {
  metadata: { name: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

const manifest = `apiVersion: apps/v1
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
      nodeSelector:
        kubernetes.io/hostname: ${NODE}
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${TEST_IMAGE}
          imagePullPolicy: Never
          command: ["sleep", "3600"]
`;

/** Running Docker containers of this node, by pod name. */
async function runningByPod(): Promise<Map<string, string[]>> {
  const ids = (await execa('docker', ['ps', '-q', '--no-trunc', '--filter', `label=io.drover.node=${NODE}`])).stdout.split('\n').filter(Boolean);
  const byPod = new Map<string, string[]>();
  if (ids.length === 0) return byPod;
  const r = await execa('docker', ['inspect', '--format', '{{.Id}} {{index .Config.Labels "io.drover.pod.name"}}', ...ids], { reject: false });
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [id = '', pod = ''] = line.split(' ');
    byPod.set(pod, [...(byPod.get(pod) ?? []), id]);
  }
  return byPod;
}

describe('network partition of an agent in its own netns', () => {
  let ns: NetNs | undefined;
  let hub: TestHub | undefined;
  let agent: Proc | undefined;
  let peer: Proc | undefined;
  let base: string | undefined;

  let token = '';
  const node = async () => (await api<NodeJson>(hub!, token, 'GET', `/api/v1/nodes/${NODE}`)).body;
  const pods = async () =>
    (await api<{ items: PodJson[] }>(hub!, token, 'GET', '/api/v1/namespaces/default/pods')).body.items.filter((p) => p.metadata.name.startsWith(`${DEPLOYMENT}-`));

  beforeAll(async () => {
    await removeDockerPods(`${DEPLOYMENT}-`);
    ns = await createNetNs('ch-part', 'ch-part-h', 'ch-part-n', HOST_IP, NS_IP);
    base = await mkdtemp(join(tmpdir(), 'drover-chaos-part-'));
    hub = await startHub(['--mqtt', `${HOST_IP}:${MQTT_PORT}`, '--mqtt-plain', `127.0.0.1:${PLAIN_PORT}`, '--tls-san', HOST_IP, '--node-monitor-grace', '3s', '--eviction-grace', '4s'], base);
    token = await adminToken(hub);
    const { stdout: joinToken } = await hub.cli(['token', 'create', '--ttl', '10m']);
    agent = startDroverInNetns(
      ns.name,
      ['agent', '--hub', `mqtts://${HOST_IP}:${MQTT_PORT}`, '--token', joinToken.trim(), '--name', NODE, '--runtime', 'docker',
        '--data-dir', join(base, 'agent'), '--status-interval', '1', '--no-pod-network'],
      hub.env,
    );
    peer = await joinAgent(hub, join(base, 'peer'), PEER, 'docker', `mqtt://127.0.0.1:${PLAIN_PORT}`);
    await waitFor('node Ready', async () => condition(await node(), 'Ready') === 'True', 60_000);
    await waitFor('peer Ready', async () => condition((await api<NodeJson>(hub!, token, 'GET', `/api/v1/nodes/${PEER}`)).body, 'Ready') === 'True', 60_000);
  });

  afterAll(async () => {
    await agent?.stop();
    await peer?.stop();
    await hub?.stop();
    await ns?.remove();
    await removeDockerPods(`${DEPLOYMENT}-`);
    if (base) await cleanup(base);
  });

  it('pods keep running through the partition; after it everything converges with no pod running twice', async () => {
    await hub!.cli(['apply', '-f', '-'], { input: manifest });
    const first = await waitFor(
      'the Deployment pod Running',
      async () => {
        const [p] = (await pods()).filter((x) => x.status?.phase === 'Running' && !x.metadata.deletionTimestamp);
        if (!p) return undefined;
        const running = (await runningByPod()).get(p.metadata.name) ?? [];
        return running.length === 1 ? { pod: p.metadata.name, container: running[0]! } : undefined;
      },
      90_000,
    );

    // the pod never runs twice, sampled through the whole test
    let twice: string | undefined;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const [pod, ids] of await runningByPod()) if (ids.length > 1) twice = `${pod}: ${ids.join(', ')}`;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    await ns!.down();
    const cutAt = Date.now();
    await waitFor('node NotReady', async () => condition(await node(), 'Ready') !== 'True', 60_000);
    figure('partition.not-ready-after-cut', Date.now() - cutAt, 'ms');
    await waitFor(
      'the pod evicted and a replacement made',
      async () => {
        const list = await pods();
        const old = list.find((p) => p.metadata.name === first.pod);
        return (!old || !!old.metadata.deletionTimestamp) && list.some((p) => p.metadata.name !== first.pod);
      },
      60_000,
    );
    // the device goes on alone: the evicted pod's container still runs there
    expect((await runningByPod()).get(first.pod)).toEqual([first.container]);

    await ns!.up();
    const upAt = Date.now();
    const replacement = await waitFor(
      'convergence',
      async () => {
        if (condition(await node(), 'Ready') !== 'True') return undefined;
        const list = await pods();
        if (list.length !== 1) return undefined;
        const [p] = list;
        if (p!.metadata.name === first.pod || p!.status?.phase !== 'Running') return undefined;
        const running = await runningByPod();
        const all = [...running.values()].flat();
        return all.length === 1 && running.get(p!.metadata.name)?.length === 1 ? p!.metadata.name : undefined;
      },
      120_000,
    );
    figure('partition.converge-after-link-up', Date.now() - upAt, 'ms');
    sampling = false;
    await sampler;
    expect(replacement).not.toBe(first.pod);
    expect(twice).toBeUndefined();
  }, 240_000);
});
