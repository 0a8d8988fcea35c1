import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContainerRecords } from '../../../agent/pods/container-records.js';
import { createPodStatusReporter, type PodStatusReporter } from '../../../agent/link/pod-status-reporter.js';
import { createPodEventQueue, podRefOf, type PodEventQueue } from '../../../agent/pods/pod-events.js';
import { createPodStatusTracker, type PodStatusTracker } from '../../../agent/pods/pod-status-tracker.js';
import type { Observation } from '../../../agent/pods/reconciler.js';
import { silentLogger } from '../../../protocol/logger.js';
import { MAX_EVENTS_PER_MESSAGE, podStatusMessageSchema, type PodStatusMessage } from '../../../protocol/messages.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import type { ContainerInfo } from '../../../runtime-adapters/runtime.js';
import { desiredSet, makePod, tempDir, waitUntil } from '../helpers.js';

function running(pod: Pod): ContainerInfo {
  return {
    id: `id-${pod.metadata.name}`,
    name: 'x',
    image: 'i',
    state: 'running',
    labels: { [RUNTIME_LABELS.podUid]: pod.metadata.uid!, [RUNTIME_LABELS.container]: 'main' },
  };
}

describe('pod status reporter', () => {
  let sent: PodStatusMessage[];
  let connected: boolean;
  let reporter: PodStatusReporter;
  let statuses: PodStatusTracker;
  let cleanup: () => Promise<void>;
  const a = makePod('a');
  const b = makePod('b');

  const observe = (pods: Pod[], runningPods: Pod[], generation = 1): void => {
    const obs: Observation = {
      desired: desiredSet(generation, pods),
      containersByPod: new Map(runningPods.map((p) => [p.metadata.uid!, [running(p)]])),
      knownPods: new Map(pods.map((p) => [p.metadata.uid!, p])),
      at: Date.parse('2026-01-01T00:00:00Z'),
    };
    reporter.observe(statuses.compute(obs));
  };

  beforeEach(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const records = createContainerRecords({ dataDir: t.dir, logger: silentLogger() });
    sent = [];
    connected = true;
    statuses = createPodStatusTracker({ records, runtimeName: 'fake', hostIP: () => '192.0.2.1' });
    reporter = createPodStatusReporter({
      publish: async (m) => {
        expect(podStatusMessageSchema.safeParse(m).success).toBe(true);
        sent.push(m);
      },
      isConnected: () => connected,
      logger: silentLogger(),
      deltaDelayMs: 20,
    });
  });
  afterEach(async () => {
    reporter.stop();
    await cleanup();
  });

  it('coalesces changes into one delta with only the pods that changed', async () => {
    observe([a, b], []);
    observe([a, b], [a]);
    await waitUntil('a delta', () => sent.length === 1);
    expect(sent[0]!.full).toBe(false);
    expect(sent[0]!.pods.map((p) => p.name).sort()).toEqual(['a', 'b']);
    expect(sent[0]!.pods.find((p) => p.name === 'a')?.status.phase).toBe('Running');
    observe([a, b], [a, b]);
    await waitUntil('second delta', () => sent.length === 2);
    expect(sent[1]!.pods.map((p) => p.name)).toEqual(['b']);
    // nothing changed: nothing sent
    observe([a, b], [a, b]);
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toHaveLength(2);
  });

  it('sends a full report on request, with the generation in use', async () => {
    observe([a, b], [a, b], 7);
    await reporter.sendFull();
    const full = sent.find((m) => m.full)!;
    expect(full.generation).toBe(7);
    expect(full.pods.map((p) => p.name).sort()).toEqual(['a', 'b']);
  });

  it('sends a full report soon after a pod drops out of the report', async () => {
    observe([a, b], [a, b]);
    await waitUntil('first delta', () => sent.length === 1);
    observe([a], [a], 2);
    const full = await waitUntil('full report', () => sent.find((m) => m.full));
    expect(full.pods.map((p) => p.name)).toEqual(['a']);
  });

  it('holds deltas while disconnected; a full report on reconnect carries everything', async () => {
    connected = false;
    observe([a], [a]);
    await new Promise((r) => setTimeout(r, 60));
    expect(sent).toEqual([]);
    connected = true;
    await reporter.sendFull();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ full: true, pods: [{ name: 'a' }] });
  });
});

const pod = podRefOf(makePod('web'));

describe('pod status reporter with events', () => {
  let sent: PodStatusMessage[];
  let fail: boolean;
  let reporter: PodStatusReporter;
  let events: PodEventQueue;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    sent = [];
    fail = false;
    events = createPodEventQueue({ logger: silentLogger() });
    const statuses = createPodStatusTracker({ records: createContainerRecords({ dataDir: t.dir, logger: silentLogger() }), runtimeName: 'fake', hostIP: () => '192.0.2.1' });
    reporter = createPodStatusReporter({
      publish: async (m) => {
        if (fail) throw new Error('broker gone');
        expect(podStatusMessageSchema.safeParse(m).success).toBe(true);
        sent.push(m);
      },
      isConnected: () => true,
      logger: silentLogger(),
      deltaDelayMs: 20,
      events,
    });
    reporter.start();
    const p = makePod('web');
    reporter.observe(statuses.compute({ desired: desiredSet(1, [p]), containersByPod: new Map(), knownPods: new Map(), at: Date.parse('2026-01-01T00:00:00Z') }));
    await waitUntil('first status', () => sent.length > 0);
    sent.length = 0;
  });
  afterEach(async () => {
    reporter.stop();
    await cleanup();
  });

  it('sends a recorded event on its own (no status change), in batches of at most MAX_EVENTS_PER_MESSAGE', async () => {
    events.record(pod, 'main', 'Normal', 'Started', 'Started container main');
    await waitUntil('event sent', () => sent.length === 1);
    expect(sent[0]).toMatchObject({ full: false, pods: [], events: [{ reason: 'Started', message: 'Started container main', count: 1 }] });

    for (let i = 0; i < MAX_EVENTS_PER_MESSAGE + 5; i++) events.record(pod, 'main', 'Normal', 'R', `m${i}`);
    await waitUntil('two more messages', () => sent.length === 3);
    expect(sent[1]!.events).toHaveLength(MAX_EVENTS_PER_MESSAGE);
    expect(sent[2]!.events).toHaveLength(5);
    expect(events.size()).toBe(0);
  });

  it('keeps events that could not be published and sends them with the next message', async () => {
    fail = true;
    events.record(pod, 'main', 'Warning', 'Unhealthy', 'Liveness probe failed: no');
    await new Promise((r) => setTimeout(r, 80));
    expect(events.size()).toBe(1);
    fail = false;
    events.record(pod, 'main', 'Warning', 'Unhealthy', 'Liveness probe failed: no');
    await waitUntil('event sent', () => sent.length === 1);
    expect(sent[0]!.events).toEqual([expect.objectContaining({ reason: 'Unhealthy', count: 2 })]);
  });
});
