/**
 * Pod events from agents, recorded by the fleet into the store: first from a raw node client (ACL,
 * count folding), then from a real agent (fake runtime) whose probes flip the pod's Ready condition
 * and restart a container, all through a real aedes broker and a real SQLite store.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../../agent/agent.js';
import { createEventRecorder } from '../../../hub/events/recorder.js';
import { AGENT_EVENT_SOURCE } from '../../../hub/fleet/pod-status-handler.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { PodEvent, PodStatusMessage } from '../../../protocol/messages.js';
import type { Event } from '../../../protocol/objects/event.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { topics } from '../../../protocol/topics.js';
import { createFakeRuntime, type FakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import type { ExecResult } from '../../../runtime-adapters/runtime.js';
import { tempDir } from '../../agent/helpers.js';
import { eventually } from '../broker/helpers.js';
import { connectTracked, send, startHarness, type Harness } from './harness.js';

function podObject(name: string, nodeName: string, containers: Pod['spec']['containers']): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { nodeName, containers } };
}

const podEvents = async (h: Harness, pod: string): Promise<Event[]> =>
  (await h.store.list<Event>('Event', { namespace: 'default' })).items.filter((e) => e.involvedObject.name === pod);

async function startWithRecorder(): Promise<Harness> {
  // the recorder needs the harness' store, which the harness makes: start, then restart the fleet with it
  const h = await startHarness();
  const events = await createEventRecorder({ store: h.store, cache: h.cache, logger: silentLogger() });
  await h.fleet.stop();
  const { createFleet } = await import('../../../hub/fleet/index.js');
  const fleet = await createFleet({ store: h.store, broker: h.broker, auth: h.auth, leases: h.leases, cache: h.cache, logger: silentLogger(), desiredCoalesceMs: 10, events });
  await fleet.start();
  const close = h.close.bind(h);
  return Object.assign(h, {
    fleet,
    async close() {
      await fleet.stop();
      await close();
    },
  });
}

describe('fleet: agent pod events into the store', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startWithRecorder();
  });
  afterEach(async () => {
    await h.close();
  });

  it('records the events of pods bound to the sending node, as drover-agent on that host, with the folded count', async () => {
    const { password } = await h.auth.issueNodeCredential('pe-1');
    const client = await connectTracked(h, { username: 'node:pe-1', password, clientId: 'node-pe-1' });
    const mine = await h.store.create(podObject('mine', 'pe-1', [{ name: 'web', image: 'img' }]));
    const theirs = await h.store.create(podObject('theirs', 'pe-2', [{ name: 'web', image: 'img' }]));
    const at = new Date().toISOString();
    const ev = (pod: Pod, reason: string, message: string, count = 1): PodEvent => ({
      namespace: 'default', name: pod.metadata.name, uid: pod.metadata.uid!, fieldPath: 'spec.containers{web}',
      type: reason === 'Unhealthy' ? 'Warning' : 'Normal', reason, message, count, firstTimestamp: at, lastTimestamp: at,
    });
    const report: PodStatusMessage = {
      v: 1, type: 'podStatus', sentAt: at, generation: 1, full: false, pods: [],
      events: [
        ev(mine, 'Started', 'Started container web'),
        ev(mine, 'Unhealthy', 'Liveness probe failed: boom', 3),
        ev(theirs, 'Started', 'Started container web'),
        { ...ev(mine, 'Started', 'from an old pod'), uid: 'old-uid' },
      ],
    };
    await send(client, topics.nodePods('pe-1'), report);
    await eventually(async () => (await podEvents(h, 'mine')).length === 2);
    await h.fleet.idle();
    const events = await podEvents(h, 'mine');
    const unhealthy = events.find((e) => e.reason === 'Unhealthy')!;
    expect(unhealthy).toMatchObject({
      type: 'Warning',
      message: 'Liveness probe failed: boom',
      count: 3,
      involvedObject: { kind: 'Pod', name: 'mine', namespace: 'default', uid: mine.metadata.uid, fieldPath: 'spec.containers{web}' },
      source: { component: AGENT_EVENT_SOURCE, host: 'pe-1' },
    });
    expect(events.find((e) => e.reason === 'Started')?.message).toBe('Started container web');
    expect(await podEvents(h, 'theirs')).toEqual([]);

    // the same event again: the stored one is bumped
    await send(client, topics.nodePods('pe-1'), { ...report, events: [ev(mine, 'Unhealthy', 'Liveness probe failed: boom', 2)] });
    await eventually(async () => (await podEvents(h, 'mine')).find((e) => e.reason === 'Unhealthy')?.count === 5);
    expect(await podEvents(h, 'mine')).toHaveLength(2);
  });
});

describe('fleet + agent (fake runtime): probes drive Ready and restarts, events land in the store', () => {
  let h: Harness;
  let runtime: FakeRuntime;
  let agent: Agent;
  let server: Server;
  let healthy: boolean;
  let live: boolean;
  let clockOffset: number;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    h = await startWithRecorder();
    healthy = false;
    live = true;
    clockOffset = 0;
    server = createServer((_req, res) => {
      res.statusCode = healthy ? 200 : 503;
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const fake = createFakeRuntime(); // its containers' IP is 127.0.0.1: httpGet probes reach the test's server
    // liveness exec answers as the test says
    runtime = Object.assign(fake, {
      exec: async (id: string, argv: string[]): Promise<ExecResult> =>
        argv[0] === 'alive?' ? { exitCode: live ? 0 : 1, stdout: live ? '' : 'dead', stderr: '' } : fake.exec(id, argv),
    });
    const t = await tempDir();
    cleanup = t.cleanup;
    h.auth.addJoinToken('pd-token');
    agent = await createAgent({
      hubUrl: `mqtt://127.0.0.1:${h.port}`,
      token: 'pd-token',
      name: 'pd-fake',
      runtime,
      dataDir: t.dir,
      logger: silentLogger(),
      clock: () => Date.now() + clockOffset,
      statusIntervalMs: 200,
      reconcileIntervalMs: 100,
    });
    await agent.start();
  });
  afterEach(async () => {
    await agent.stop();
    await runtime.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await h.close();
    await cleanup();
  });

  const getPod = (name: string) => h.store.get<Pod>({ kind: 'Pod', namespace: 'default', name });
  const condition = (pod: Pod | undefined, type: string) => pod?.status?.conditions?.find((c) => c.type === type)?.status;

  it('a readiness httpGet probe keeps the pod unready until the server answers 200, and again after it fails', async () => {
    const port = (server.address() as AddressInfo).port;
    await h.store.create(
      podObject('pd-ready', 'pd-fake', [
        { name: 'web', image: 'drover.local/busybox:test', ports: [{ name: 'http', containerPort: port }], readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 } },
      ]),
    );
    await eventually(async () => (await getPod('pd-ready'))?.status?.phase === 'Running', 15_000);
    await new Promise((r) => setTimeout(r, 1500));
    let pod = await getPod('pd-ready');
    expect(condition(pod, 'Ready')).toBe('False');
    expect(condition(pod, 'ContainersReady')).toBe('False');
    expect(pod?.status?.containerStatuses?.[0]).toMatchObject({ ready: false, started: true });
    await eventually(async () => (await podEvents(h, 'pd-ready')).some((e) => e.reason === 'Unhealthy'), 10_000);
    const unhealthy = (await podEvents(h, 'pd-ready')).find((e) => e.reason === 'Unhealthy')!;
    expect(unhealthy.message).toBe('Readiness probe failed: HTTP probe failed with statuscode: 503');
    expect(unhealthy.source).toEqual({ component: 'drover-agent', host: 'pd-fake' });
    expect((await podEvents(h, 'pd-ready')).map((e) => e.reason)).toEqual(expect.arrayContaining(['Pulled', 'Created', 'Started']));

    healthy = true;
    pod = await eventually(async () => {
      const p = await getPod('pd-ready');
      return condition(p, 'Ready') === 'True' ? p : undefined;
    }, 10_000);
    expect(condition(pod, 'ContainersReady')).toBe('True');
    expect(pod.status?.containerStatuses?.[0]?.ready).toBe(true);

    healthy = false;
    await eventually(async () => condition(await getPod('pd-ready'), 'Ready') === 'False', 10_000);
  });

  it('a failing liveness exec probe kills the container (Killing), backs off and restarts it (restartCount 1)', async () => {
    await h.store.create(
      podObject('pd-live', 'pd-fake', [
        { name: 'web', image: 'drover.local/busybox:test', livenessProbe: { exec: { command: ['alive?'] }, periodSeconds: 1, failureThreshold: 2 } },
      ]),
    );
    await eventually(async () => (await getPod('pd-live'))?.status?.phase === 'Running', 15_000);
    live = false;
    await eventually(async () => (await podEvents(h, 'pd-live')).some((e) => e.reason === 'Killing'), 15_000);
    const events = await podEvents(h, 'pd-live');
    expect(events.find((e) => e.reason === 'Killing')?.message).toBe('Container web failed liveness probe, will be restarted');
    expect(events.find((e) => e.reason === 'Unhealthy')).toMatchObject({ type: 'Warning', message: 'Liveness probe failed: dead' });
    await eventually(async () => (await getPod('pd-live'))?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff', 10_000);
    expect((await podEvents(h, 'pd-live')).some((e) => e.reason === 'BackOff')).toBe(true);
    live = true;
    clockOffset += 10_000; // the back-off passes
    const pod = await eventually(async () => {
      const p = await getPod('pd-live');
      const s = p?.status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.state?.running ? p : undefined;
    }, 15_000);
    expect(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(143);
  });
});
