/**
 * The agent end to end against a real aedes broker, with the test playing the hub: join, a retained
 * desired set, the pod run on the fake runtime and reported Running; the broker going away (pods keep
 * running) and coming back (full report); deletion; commands; stop and restart (adoption).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, type Agent, type AgentOptions } from '../../agent/agent.js';
import { createRootLogger, silentLogger } from '../../protocol/logger.js';
import type { PodStatusMessage } from '../../protocol/messages.js';
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import { createFakeRuntime, type FakeRuntime } from '../../runtime-adapters/fake/fake.js';
import { startFakeHub, type FakeHub } from './fake-hub.js';
import { desiredSet, makePod, tempDir, TEST_IMAGE, waitUntil } from './helpers.js';

const NAME = 'edge-1';
const web = makePod('web', {
  uid: 'a1b2c3d4-0000-0000-0000-000000000001',
  containers: [{ name: 'main', image: TEST_IMAGE, args: ['fake', 'exit', '0', 'hello from web'], }],
  spec: { nodeName: NAME, restartPolicy: 'Never' },
});
const server = makePod('server', { uid: 'a1b2c3d4-0000-0000-0000-000000000002', spec: { nodeName: NAME } });

function entry(m: PodStatusMessage | undefined, name: string) {
  return m?.pods.find((p) => p.name === name);
}

describe('agent against a real MQTT broker (fake runtime)', () => {
  let hub: FakeHub;
  let runtime: FakeRuntime;
  let agent: Agent;
  let dir: string;
  let cleanup: () => Promise<void>;
  let options: AgentOptions;

  beforeAll(async () => {
    hub = await startFakeHub();
    runtime = createFakeRuntime();
    ({ dir, cleanup } = await tempDir());
    options = {
      hubUrl: hub.url,
      token: 'good-token',
      name: NAME,
      runtime,
      dataDir: dir,
      logger: process.env.AGENT_TEST_LOGS ? createRootLogger() : silentLogger(),
      statusIntervalMs: 200,
      reconcileIntervalMs: 100,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
    };
    // retained before the agent exists, as the hub would have it
    await hub.publishDesired(desiredSet(1, [web, server], NAME));
    agent = await createAgent(options);
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    await runtime?.close();
    await hub?.close();
    await cleanup?.();
  });

  it('joins, announces itself online and reports its node status with real facts', async () => {
    expect(agent.nodeName).toBe(NAME);
    await waitUntil('presence online', () => hub.presence.some((p) => p.state === 'online'));
    const status = await waitUntil('node status', () => hub.nodeStatus.at(-1));
    expect(status.labels).toMatchObject({ 'kubernetes.io/hostname': NAME, 'kubernetes.io/os': 'linux' });
    expect(Number(status.status.capacity?.cpu)).toBeGreaterThan(0);
    expect(status.status.capacity?.memory).toMatch(/^\d+Ki$/);
    expect(status.status.nodeInfo?.containerRuntimeVersion).toBe('fake://1.0.0');
    expect(status.status.nodeInfo?.kubeletVersion).toBe('drover-0.1.0');
  });

  it('runs the pods of the retained desired set and reports them (Running, Succeeded)', async () => {
    const running = await waitUntil('server Running', () => {
      const m = hub.podStatus.findLast((x) => entry(x, 'server'));
      return entry(m, 'server')?.status.phase === 'Running' ? m : undefined;
    });
    expect(running.generation).toBe(1);
    const s = entry(running, 'server')!.status;
    expect(s.containerStatuses?.[0]).toMatchObject({ name: 'main', ready: true, restartCount: 0 });
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    await waitUntil('web Succeeded', () => hub.podStatus.some((x) => entry(x, 'web')?.status.phase === 'Succeeded'));
    expect(hub.podStatus.some((m) => m.full)).toBe(true);
  });

  it('answers logs and exec commands, and an unknown pod with ok:false', async () => {
    const base = { v: 1 as const, type: 'command' as const, sentAt: new Date().toISOString(), namespace: 'default' };
    await hub.sendCommand(NAME, { ...base, command: 'logs', requestId: 'r-logs', pod: 'web' });
    await hub.sendCommand(NAME, { ...base, command: 'exec', requestId: 'r-exec', pod: 'server', argv: ['fake-exec', 'out', 'err', '3'] });
    await hub.sendCommand(NAME, { ...base, command: 'logs', requestId: 'r-none', pod: 'nope' });
    const reply = (id: string) => waitUntil(`reply ${id}`, () => hub.replies.find((r) => r.requestId === id));
    expect(await reply('r-logs')).toMatchObject({ ok: true, output: 'hello from web\n' });
    expect(await reply('r-exec')).toMatchObject({ ok: true, exitCode: 3, output: 'out\nerr\n' });
    expect(await reply('r-none')).toMatchObject({ ok: false, error: 'pod default/nope is not on this node' });
  });

  it('keeps pods running while the broker is gone and sends a full report when it is back', async () => {
    const [before] = await runtime.list({ [RUNTIME_LABELS.podName]: 'server' });
    await hub.stopBroker();
    await waitUntil('agent disconnected', () => !agent.isConnected());
    await new Promise((r) => setTimeout(r, 300));
    expect((await runtime.list({ [RUNTIME_LABELS.podName]: 'server' }))[0]).toMatchObject({ id: before!.id, state: 'running' });
    const mark = hub.podStatus.length;
    await hub.startBroker();
    const full = await waitUntil('full report after reconnect', () => hub.podStatus.slice(mark).find((m) => m.full));
    expect(entry(full, 'server')?.status.phase).toBe('Running');
    expect(entry(full, 'web')?.status.phase).toBe('Succeeded');
    expect(full.generation).toBe(1);
    // the same container: nothing was restarted
    expect((await runtime.list({ [RUNTIME_LABELS.podName]: 'server' })).map((c) => c.id)).toEqual([before!.id]);
  });

  it('removes pods dropped from a newer desired set; a full report without them follows', async () => {
    const mark = hub.podStatus.length;
    await hub.publishDesired(desiredSet(2, [web], NAME));
    await waitUntil('server removed', async () => (await runtime.list({ [RUNTIME_LABELS.podName]: 'server' })).length === 0);
    const full = await waitUntil('full report without server', () =>
      hub.podStatus.slice(mark).find((m) => m.full && m.generation === 2 && !entry(m, 'server')),
    );
    expect(entry(full, 'web')).toBeDefined();
  });

  it('on stop publishes presence offline and leaves pods running; a restarted agent adopts them', async () => {
    const deployed = makePod('api', { uid: 'a1b2c3d4-0000-0000-0000-000000000003', spec: { nodeName: NAME } });
    await hub.publishDesired(desiredSet(3, [web, deployed], NAME));
    const [c] = await waitUntil('api running', async () => {
      const l = await runtime.list({ [RUNTIME_LABELS.podName]: 'api' });
      return l[0]?.state === 'running' ? l : undefined;
    });
    await agent.stop();
    expect(hub.presence.at(-1)?.state).toBe('offline');
    expect((await runtime.list({ [RUNTIME_LABELS.podName]: 'api' }))[0]).toMatchObject({ id: c!.id, state: 'running' });

    const creates = runtime.hooks.calls.filter((x) => x.startsWith('create')).length;
    agent = await createAgent({ ...options, token: undefined });
    await agent.start();
    const mark = hub.podStatus.length;
    await waitUntil('presence online again', () => hub.presence.at(-1)?.state === 'online');
    await waitUntil('api reported Running', () => hub.podStatus.slice(mark).some((m) => entry(m, 'api')?.status.phase === 'Running'));
    expect(runtime.hooks.calls.filter((x) => x.startsWith('create')).length).toBe(creates);
  });
});
