import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContainerRecords } from '../../../agent/pods/container-records.js';
import { createPodEventQueue, podRefOf, type PodEventQueue } from '../../../agent/pods/pod-events.js';
import { createPodStatusReporter, type PodStatusReporter } from '../../../agent/link/pod-status-reporter.js';
import { silentLogger } from '../../../protocol/logger.js';
import { MAX_EVENTS_PER_MESSAGE, podStatusMessageSchema, type PodStatusMessage } from '../../../protocol/messages.js';
import { desiredSet, fakeClock, makePod, tempDir, waitUntil } from '../helpers.js';

const pod = podRefOf(makePod('web'));

describe('pod event queue', () => {
  it('folds repeats into one event with a count and the last timestamp, oldest first', () => {
    const clock = fakeClock();
    const q = createPodEventQueue({ clock: clock.now, logger: silentLogger() });
    q.record(pod, 'main', 'Normal', 'Pulled', 'Container image "x" already present on machine');
    clock.advance(1_000);
    q.record(pod, 'main', 'Warning', 'BackOff', 'Back-off restarting failed container main in pod web_default(uid-web-0000-1111)');
    clock.advance(9_000);
    q.record(pod, 'main', 'Warning', 'BackOff', 'Back-off restarting failed container main in pod web_default(uid-web-0000-1111)');
    q.record(pod, undefined, 'Normal', 'Other', 'about the pod');
    expect(q.size()).toBe(3);
    const [pulled, backOff, other] = q.take(10);
    expect(pulled).toMatchObject({ reason: 'Pulled', count: 1, fieldPath: 'spec.containers{main}', namespace: 'default', name: 'web', uid: 'uid-web-0000-1111' });
    expect(backOff).toMatchObject({ reason: 'BackOff', type: 'Warning', count: 2, firstTimestamp: '2026-01-01T00:00:01.000Z', lastTimestamp: '2026-01-01T00:00:10.000Z' });
    expect(other?.fieldPath).toBeUndefined();
    expect(q.size()).toBe(0);
  });

  it('takes in batches, puts undelivered events back in front and merges repeats recorded meanwhile', () => {
    const q = createPodEventQueue({ logger: silentLogger() });
    for (let i = 0; i < 5; i++) q.record(pod, 'main', 'Normal', 'R', `m${i}`);
    const batch = q.take(2);
    expect(batch.map((e) => e.message)).toEqual(['m0', 'm1']);
    q.record(pod, 'main', 'Normal', 'R', 'm0');
    q.putBack(batch);
    const all = q.take(10);
    expect(all.map((e) => `${e.message}x${e.count}`)).toEqual(['m0x2', 'm1x1', 'm2x1', 'm3x1', 'm4x1']);
  });

  it('keeps at most maxPending distinct events, dropping the oldest, and cuts long messages', () => {
    const q = createPodEventQueue({ logger: silentLogger(), maxPending: 3 });
    for (let i = 0; i < 5; i++) q.record(pod, 'main', 'Normal', 'R', `m${i}`);
    expect(q.take(10).map((e) => e.message)).toEqual(['m2', 'm3', 'm4']);
    q.record(pod, 'main', 'Warning', 'Unhealthy', 'x'.repeat(5000));
    expect(q.take(1)[0]!.message).toHaveLength(1024);
  });
});

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
    reporter = createPodStatusReporter({
      records: createContainerRecords({ dataDir: t.dir, logger: silentLogger() }),
      runtimeName: 'fake',
      hostIP: () => '192.0.2.1',
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
    reporter.observe({ desired: desiredSet(1, [p]), containersByPod: new Map(), knownPods: new Map(), at: Date.parse('2026-01-01T00:00:00Z') });
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
