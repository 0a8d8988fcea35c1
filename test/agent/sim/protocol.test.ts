/**
 * The simulator speaks the protocol the real agent speaks. Against a real hub slice (test/hub/fleet/harness.ts:
 * SQLite store, aedes on 127.0.0.1, the fleet, node health, the real AuthService), with every message on
 * drover/v1/# recorded by an in-process broker subscription, a fleet of simulated nodes and a real agent
 * (createAgent on the fake runtime) side by side: the same topic shapes, every payload valid for its
 * schema; sim nodes join and become Ready; a pod bound to a sim node is reported Running and a deleted
 * one completes its deletion; commands are refused clearly; a simulator killed without a clean
 * disconnect leaves its nodes Ready=Unknown through their last wills; after a hub restart every node
 * comes back and no pod changed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../../agent/agent.js';
import { createSimFleet, type SimFleet } from '../../../agent/sim/fleet.js';
import { parseProgress } from '../../../agent/sim/progress.js';
import { SIM_COMMAND_ERROR } from '../../../agent/sim/sim-node.js';
import { createNodeCommands } from '../../../hub/fleet/index.js';
import type { PublishMeta } from '../../../hub/broker/broker.js';
import { deletePodGracefully } from '../../../hub/registry/pod-deletion.js';
import { findCondition } from '../../../protocol/conditions.js';
import { silentLogger } from '../../../protocol/logger.js';
import {
  clusterNetworkDeltaMessageSchema,
  decodeMessage,
  joinRequestMessageSchema,
  nodeHeartbeatMessageSchema,
  nodeStatusMessageSchema,
  podStatusMessageSchema,
  presenceMessageSchema,
  replyMessageSchema,
  type PresenceMessage,
} from '../../../protocol/messages.js';
import type { Node } from '../../../protocol/objects/node.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { parseTopic, topics } from '../../../protocol/topics.js';
import { pino } from 'pino';
import { createFakeRuntime, type FakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import { startHarness, type Harness } from '../../hub/fleet/harness.js';
import { tempDir, TEST_IMAGE, waitUntil } from '../helpers.js';

const SIM_MAIN = resolve(import.meta.dirname, '../../../agent/sim/main.ts');
const SIM_NODES = ['sim-00000', 'sim-00001', 'sim-00002'];
const AGENT = 'real-agent';
const WAIT_MS = 30_000;

interface Recorded {
  topic: string;
  payload: Buffer;
  /** The node that published it (join requests: the node asking), or 'hub'. */
  from: string;
  lastWill: boolean;
}

const SCHEMAS = {
  status: nodeStatusMessageSchema,
  heartbeat: nodeHeartbeatMessageSchema,
  pods: podStatusMessageSchema,
  presence: presenceMessageSchema,
  reply: replyMessageSchema,
  request: joinRequestMessageSchema,
} as const;

/** A topic with its variable parts named: drover/v1/nodes/N/status, drover/v1/nodes/N/reply/ID, drover/v1/join/C/request. */
function shapeOf(topic: string): string {
  const parsed = parseTopic(topic);
  if (!parsed) return `unparsed:${topic}`;
  if (parsed.kind === 'join') return `drover/v1/join/C/${parsed.channel}`;
  return parsed.channel === 'reply' ? 'drover/v1/nodes/N/reply/ID' : `drover/v1/nodes/N/${parsed.channel}`;
}

function channelOf(topic: string): keyof typeof SCHEMAS {
  const parsed = parseTopic(topic)!;
  return parsed.channel as keyof typeof SCHEMAS;
}

/** The structure of a value: keys and leaf types, arrays by their first element. */
function structure(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [structure(value[0])];
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, structure(v)]));
  return value === null ? 'null' : typeof value;
}

function publisherOf(topic: string, payload: Buffer, meta: PublishMeta): string {
  if (meta.identity?.kind === 'node') return meta.identity.node;
  if (meta.identity?.kind === 'join') {
    try {
      return decodeMessage(joinRequestMessageSchema, topic, payload).nodeName;
    } catch {
      return 'join-?';
    }
  }
  return meta.clientId ? `client:${meta.clientId}` : 'hub';
}

const ready = (node: Node | undefined) => findCondition(node?.status?.conditions, 'Ready');

function boundPod(name: string, node: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: TEST_IMAGE, resources: { requests: { cpu: '10m' } } }] },
  };
}

function startSimProcess(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', SIM_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => output, exited };
}

describe('the simulator against a real hub slice, beside a real agent', () => {
  let h: Harness;
  let dir: string;
  let cleanup: () => Promise<void>;
  let token: string;
  let fleet: SimFleet;
  let agent: Agent;
  let runtime: FakeRuntime;
  const records: Recorded[] = [];
  const children: ChildProcess[] = [];
  /** The in-process simulator's log lines (info and up). */
  const simLogs: Array<{ msg?: string; node?: string; level: number }> = [];

  const record = (harness: Harness) =>
    harness.broker.subscribe('drover/v1/#', (topic, payload, meta) => {
      records.push({ topic, payload: Buffer.from(payload), from: publisherOf(topic, payload, meta), lastWill: meta.lastWill });
    });
  const hubUrl = () => `mqtt://127.0.0.1:${h.port}`;
  const getNode = (name: string) => h.store.get<Node>({ kind: 'Node', namespace: '', name });
  const getPod = (name: string) => h.store.get<Pod>({ kind: 'Pod', namespace: 'default', name });

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('drover-sim-'));
    await mkdir(`${dir}/hub`);
    h = await startHarness({ dir: `${dir}/hub`, realAuth: true });
    record(h);
    ({ token } = await h.authService!.createJoinToken({ description: 'sim test' }));
    fleet = createSimFleet({
      hubUrl: hubUrl(),
      token,
      nodes: SIM_NODES.length,
      namePrefix: 'sim-',
      startIndex: 0,
      dataDir: `${dir}/sim`,
      podsPerNode: 20,
      cpuCores: 4,
      memoryBytes: 8 * 2 ** 30,
      statusIntervalMs: 200,
      statusRefreshMs: 60_000,
      // longer than the reporter's 250 ms delta delay, so the Pending status goes out before Running
      runningAfterMs: 1000,
      stopAfterMs: 100,
      joinConcurrency: 2,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      joinTimeoutMs: undefined,
      logger: pino({ level: 'info' }, { write: (line: string) => void simLogs.push(JSON.parse(line)) }),
    });
    fleet.start();
    runtime = createFakeRuntime();
    agent = await createAgent({
      hubUrl: hubUrl(),
      token,
      name: AGENT,
      runtime,
      dataDir: `${dir}/agent`,
      logger: silentLogger(),
      statusIntervalMs: 200,
      reconcileIntervalMs: 100,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
    });
    await agent.start();
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
    await fleet?.stop();
    await agent?.stop();
    await runtime?.close();
    await h?.close();
    await cleanup?.();
  });

  it('joins N simulated nodes, each with its own credential, and they become Ready with their fake facts', async () => {
    for (const name of [...SIM_NODES, AGENT]) {
      await waitUntil(`${name} Ready`, async () => ready(await getNode(name))?.status === 'True', WAIT_MS);
    }
    const node = (await getNode('sim-00001'))!;
    expect(node.status?.capacity).toMatchObject({ cpu: '4', pods: '20' });
    expect(node.status?.nodeInfo).toMatchObject({ containerRuntimeVersion: 'sim://0.1.0', kubeletVersion: 'drover-0.1.0', osImage: 'Drover simulated node' });
    expect(ready(node)).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(fleet.stats()).toMatchObject({ nodes: 3, joined: 3, connected: 3, everConnected: 3, joinFailures: 0 });
    // each node joined as itself (username join + token), then connected as node:<name>
    expect(records.filter((r) => shapeOf(r.topic) === 'drover/v1/join/C/request').map((r) => r.from).sort()).toEqual([AGENT, ...SIM_NODES].sort());
  });

  it('reports a pod bound to a sim node Pending, then Running and Ready, shaped as the real agent reports it', async () => {
    await h.store.create(boundPod('on-sim', 'sim-00001'));
    await h.store.create(boundPod('on-agent', AGENT));
    const running = async (name: string) => {
      const pod = await getPod(name);
      return pod?.status?.phase === 'Running' && findCondition(pod.status.conditions, 'Ready')?.status === 'True' ? pod : undefined;
    };
    const sim = await waitUntil('the sim pod Running', () => running('on-sim'), WAIT_MS);
    const real = await waitUntil('the agent pod Running', () => running('on-agent'), WAIT_MS);
    expect(sim.status?.containerStatuses?.[0]).toMatchObject({ name: 'main', ready: true, started: true, restartCount: 0 });
    expect(sim.status?.containerStatuses?.[0]?.containerID).toMatch(/^sim:\/\//);
    // the same fields at every level, as the real agent writes them (values differ: ids, addresses, times)
    expect(structure(sim.status)).toEqual(structure(real.status));
    const phases = records
      .filter((r) => r.from === 'sim-00001' && shapeOf(r.topic) === 'drover/v1/nodes/N/pods')
      .flatMap((r) => decodeMessage(podStatusMessageSchema, r.topic, r.payload).pods.filter((p) => p.name === 'on-sim').map((p) => p.status.phase));
    expect(phases[0]).toBe('Pending');
    expect(phases).toContain('Running');
  });

  it('completes a graceful deletion: the next full report no longer lists the pod', async () => {
    for (const name of ['on-sim', 'on-agent']) {
      const terminating = await deletePodGracefully(h.store, { kind: 'Pod', namespace: 'default', name }, { clock: h.clock.fn });
      expect(terminating?.metadata.deletionTimestamp).toBeDefined();
    }
    await waitUntil('both pods gone from the store', async () => !(await getPod('on-sim')) && !(await getPod('on-agent')), WAIT_MS);
    expect(fleet.stats()).toMatchObject({ pods: 0, stopping: 0 });
  });

  it('answers logs and exec with ok:false "simulated node", where the real agent answers', async () => {
    await h.store.create(boundPod('cmd-sim', 'sim-00002'));
    await h.store.create(boundPod('cmd-agent', AGENT));
    for (const name of ['cmd-sim', 'cmd-agent']) await waitUntil(`${name} Running`, async () => (await getPod(name))?.status?.phase === 'Running', WAIT_MS);
    const commands = createNodeCommands({ broker: h.broker, logger: silentLogger(), clock: h.clock.fn, replyTimeoutMs: WAIT_MS });
    commands.start();
    try {
      await expect(commands.logs({ node: 'sim-00002', namespace: 'default', pod: 'cmd-sim' })).rejects.toThrow(SIM_COMMAND_ERROR);
      await expect(commands.exec({ node: 'sim-00002', namespace: 'default', pod: 'cmd-sim', argv: ['ls'] })).rejects.toThrow(SIM_COMMAND_ERROR);
      expect(typeof (await commands.logs({ node: AGENT, namespace: 'default', pod: 'cmd-agent' }))).toBe('string');
    } finally {
      commands.stop();
    }
  });

  it('drops what it cannot use with a log line: malformed payloads, a set for another node, an older generation', async () => {
    const node = 'sim-00000';
    const before = fleet.nodes[0]!.pods();
    const mark = simLogs.length;
    const set = (generation: number, forNode = node) =>
      JSON.stringify({ v: 1, type: 'desiredSet', sentAt: new Date().toISOString(), node: forNode, generation, pods: [boundPod('stale', node)], config: [] });
    await h.broker.publish(topics.nodeDesired(node), 'not json', { qos: 1 });
    await h.broker.publish(topics.nodeDesired(node), JSON.stringify({ v: 1, type: 'desiredSet', node }), { qos: 1 });
    await h.broker.publish(topics.nodeDesired(node), set(1, 'sim-00001'), { qos: 1 });
    await h.broker.publish(topics.nodeDesired(node), set(0), { qos: 1 });
    await h.broker.publish(topics.nodeCmd(node), '{"v":1,"type":"command"}', { qos: 1 });
    const said = (msg: string) => simLogs.slice(mark).filter((l) => l.node === node && l.msg === msg).length;
    await waitUntil('the log lines', () => said('dropping a malformed desired set') === 2 && said('dropping a desired set meant for another node') === 1 &&
      said('ignoring an older desired set') === 1 && said('dropping a malformed command') === 1, WAIT_MS);
    expect(fleet.nodes[0]!.pods()).toEqual(before);
    expect(fleet.nodes[0]!.isConnected()).toBe(true);
    // the hub's own retained set is still the one the node uses: a new pod still arrives
    await h.store.create(boundPod('after-junk', node));
    await waitUntil('after-junk Running', async () => (await getPod('after-junk'))?.status?.phase === 'Running', WAIT_MS);
    await deletePodGracefully(h.store, { kind: 'Pod', namespace: 'default', name: 'after-junk' }, { clock: h.clock.fn });
    await waitUntil('after-junk gone', async () => !(await getPod('after-junk')), WAIT_MS);
  });

  it("follows the shared network data as the agent does: its own part, the snapshot once, then the hub's deltas", async () => {
    const lastDelta = () =>
      records
        .filter((r) => r.from === 'hub' && r.topic === topics.clusterNetwork())
        .map((r) => decodeMessage(clusterNetworkDeltaMessageSchema, r.topic, r.payload))
        .at(-1)?.to;
    // a node gets a pod CIDR: a peer for every other node, in one delta
    await waitUntil('every node joined', async () => (await Promise.all(SIM_NODES.map(getNode))).every(Boolean), WAIT_MS);
    const n0 = (await getNode(SIM_NODES[0]!))!;
    await h.store.update({ ...n0, spec: { ...n0.spec, podCIDR: '10.42.200.0/24' } });
    await waitUntil('every sim node at the generation of the last delta, not resyncing', () => {
      const to = lastDelta();
      return to !== undefined && fleet.nodes.every((n) => n.network().shared === to && !n.network().resyncing && n.network().part !== undefined);
    }, WAIT_MS);
    // each node read the snapshot when it had no shared data, and not again while connected
    for (const n of fleet.nodes) expect(n.network().resyncs).toBeGreaterThanOrEqual(1);
    expect(simLogs.filter((l) => String(l.msg).includes('malformed') && String(l.msg).includes('network'))).toEqual([]);
  });

  it('publishes on the same topic shapes as the real agent, every payload valid for its schema', async () => {
    // at least one heartbeat from everyone (a status interval after the first full status)
    await waitUntil('heartbeats from every node', () =>
      [...SIM_NODES, AGENT].every((n) => records.some((r) => r.from === n && shapeOf(r.topic) === 'drover/v1/nodes/N/heartbeat')), WAIT_MS);
    const fromNodes = records.filter((r) => r.from !== 'hub');
    const shapes = (names: string[]) => [...new Set(fromNodes.filter((r) => names.includes(r.from)).map((r) => shapeOf(r.topic)))].sort();
    const agentShapes = shapes([AGENT]);
    expect(agentShapes).toEqual([
      'drover/v1/join/C/request',
      'drover/v1/nodes/N/heartbeat',
      'drover/v1/nodes/N/pods',
      'drover/v1/nodes/N/presence',
      'drover/v1/nodes/N/reply/ID',
      'drover/v1/nodes/N/status',
    ]);
    expect(shapes(SIM_NODES)).toEqual(agentShapes);
    for (const r of fromNodes) {
      expect(() => decodeMessage(SCHEMAS[channelOf(r.topic)], r.topic, r.payload), `${r.from} on ${r.topic}`).not.toThrow();
    }
    // every message a sim node sent is on its own subtree (the ACL would refuse anything else anyway)
    for (const r of fromNodes.filter((x) => SIM_NODES.includes(x.from) && shapeOf(x.topic) !== 'drover/v1/join/C/request')) {
      expect(parseTopic(r.topic)).toMatchObject({ kind: 'node', node: r.from });
    }
  });

  it('a simulator killed without a clean disconnect (SIGKILL, or SIGTERM with --kill-like) leaves its nodes Ready=Unknown through their last wills', async () => {
    const runs = [
      { prefix: 'kill-', stop: 'SIGKILL' as const, args: [] as string[] },
      { prefix: 'killlike-', stop: 'SIGTERM' as const, args: ['--kill-like'] },
    ];
    for (const run of runs) {
      const p = startSimProcess(['--hub', hubUrl(), '--token', token, '--nodes', '2', '--name-prefix', run.prefix, '--data-dir', `${dir}/${run.prefix}sim`,
        '--status-interval', '0.2', '--progress-interval', '100', ...run.args]);
      children.push(p.child);
      const names = [`${run.prefix}00000`, `${run.prefix}00001`];
      await waitUntil('sim-up from the process', () => p.output().split('\n').some((l) => parseProgress(l)?.kind === 'sim-up'), WAIT_MS);
      for (const name of names) await waitUntil(`${name} Ready`, async () => ready(await getNode(name))?.status === 'True', WAIT_MS);
      process.kill(-p.child.pid!, run.stop);
      await p.exited;
      for (const name of names) {
        const will = await waitUntil(`${name}'s last will`, () => records.find((r) => r.from === name && r.lastWill), WAIT_MS);
        expect(decodeMessage(presenceMessageSchema, will.topic, will.payload)).toMatchObject<Partial<PresenceMessage>>({ type: 'presence', state: 'offline' });
      }
      await h.health.check();
      for (const name of names) {
        expect(ready(await getNode(name))).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'agent went offline (last will)' });
      }
    }
  });

  it('on SIGTERM stops cleanly: presence offline said by each node, not its will, and exit 0', async () => {
    const p = startSimProcess(['--hub', hubUrl(), '--token', token, '--nodes', '2', '--name-prefix', 'clean-', '--data-dir', `${dir}/clean-sim`, '--progress-interval', '100']);
    children.push(p.child);
    await waitUntil('sim-up from the process', () => p.output().includes('sim-up'), WAIT_MS);
    const mark = records.length;
    process.kill(-p.child.pid!, 'SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output().split('\n').map((l) => parseProgress(l)).find((l) => l?.kind === 'sim-stopped')).toMatchObject({ nodes: 2, connected: 0 });
    for (const name of ['clean-00000', 'clean-00001']) {
      const offline = await waitUntil(`${name} offline`, () => records.slice(mark).find((r) => r.from === name && shapeOf(r.topic) === 'drover/v1/nodes/N/presence'), WAIT_MS);
      expect(offline.lastWill).toBe(false);
      expect(decodeMessage(presenceMessageSchema, offline.topic, offline.payload).state).toBe('offline');
    }
  });

  it('comes back after a hub restart on the same data dir, with no pod changed', async () => {
    const before = (await getPod('cmd-sim'))!.status;
    const connectsBefore = fleet.nodes.map((n) => n.connects());
    const port = h.port;
    await h.close(); // the store file stays (dir given)
    await waitUntil('every sim node sees the hub gone', () => fleet.stats().connected === 0, WAIT_MS);
    h = await startHarness({ dir: `${dir}/hub`, realAuth: true, port });
    const mark = records.length;
    record(h);
    await waitUntil('every sim node connected again', () => fleet.nodes.every((n, i) => n.isConnected() && n.connects() > connectsBefore[i]!), WAIT_MS);
    for (const name of SIM_NODES) {
      // online again, a full status (its first after connecting) and a full pod report, all on the new hub
      await waitUntil(`${name} back`, () => {
        const mine = records.slice(mark).filter((r) => r.from === name);
        return mine.some((r) => shapeOf(r.topic) === 'drover/v1/nodes/N/status') &&
          mine.some((r) => shapeOf(r.topic) === 'drover/v1/nodes/N/pods' && decodeMessage(podStatusMessageSchema, r.topic, r.payload).full);
      }, WAIT_MS);
      expect(ready(await getNode(name))?.status).toBe('True');
    }
    const after = (await getPod('cmd-sim'))!.status;
    expect(after?.containerStatuses).toEqual(before?.containerStatuses);
    expect(after?.startTime).toBe(before?.startTime);
    expect(fleet.stats()).toMatchObject({ nodes: 3, connected: 3, pods: 1, running: 1 });
  });
});
