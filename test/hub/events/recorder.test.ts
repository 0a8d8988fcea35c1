import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventRecorder } from '../../../hub/events/recorder.js';
import { kubeTimestamp } from '../../../protocol/time.js';
import type { Store } from '../../../hub/store/store.js';
import type { ObjectCache } from '../../../hub/cache/object-cache.js';
import { eventSchema, silentLogger, type Event } from '../../../protocol/index.js';
import { tempStore } from '../controllers/temp-store.js';

let store: Store;
let cache: ObjectCache;
let dispose: () => Promise<void>;
let now = Date.parse('2026-11-24T10:00:00Z');
const clock = () => now;
const pod = { apiVersion: 'v1', kind: 'Pod', namespace: 'apps', name: 'web-1', uid: 'u-1' };
const source = { component: 'default-scheduler' };

beforeEach(async () => {
  ({ store, cache, dispose } = await tempStore('drover-events-'));
  now = Date.parse('2026-11-24T10:00:00Z');
});
afterEach(async () => dispose());

const events = async (namespace: string) => (await store.list<Event>('Event', { namespace })).items;

describe('event recorder', () => {
  it('creates a v1 Event in the object\'s namespace, valid against the protocol schema', async () => {
    let n = 0;
    const recorder = await createEventRecorder({ store, cache, logger: silentLogger(), clock, randomSuffix: () => `abc${n++}` });
    const created = await recorder.record(pod, 'Warning', 'FailedScheduling', '0/1 nodes are available: 1 Insufficient cpu.', source);
    expect(created?.metadata.name).toBe('web-1.abc0');
    const [stored] = await events('apps');
    expect(eventSchema.safeParse(stored).success).toBe(true);
    expect(stored).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-1.abc0', namespace: 'apps' },
      involvedObject: { kind: 'Pod', namespace: 'apps', name: 'web-1', uid: 'u-1' },
      reason: 'FailedScheduling',
      message: '0/1 nodes are available: 1 Insufficient cpu.',
      type: 'Warning',
      count: 1,
      firstTimestamp: '2026-11-24T10:00:00Z',
      lastTimestamp: '2026-11-24T10:00:00Z',
      source: { component: 'default-scheduler' },
    });
  });

  it('default names end in 16 random hex digits', async () => {
    const recorder = await createEventRecorder({ store, cache, logger: silentLogger(), clock });
    const e = await recorder.record(pod, 'Normal', 'Scheduled', 'x', source);
    expect(e?.metadata.name).toMatch(/^web-1\.[0-9a-f]{16}$/);
  });

  it('bumps count and lastTimestamp for a repeat instead of creating another', async () => {
    const recorder = await createEventRecorder({ store, cache, logger: silentLogger(), clock });
    await recorder.record(pod, 'Warning', 'FailedScheduling', 'no fit', source);
    now += 5000;
    await recorder.record(pod, 'Warning', 'FailedScheduling', 'no fit', source);
    now += 5000;
    const third = await recorder.record(pod, 'Warning', 'FailedScheduling', 'no fit', source);
    const all = await events('apps');
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ count: 3, firstTimestamp: '2026-11-24T10:00:00Z', lastTimestamp: '2026-11-24T10:00:10Z' });
    expect(third?.count).toBe(3);
  });

  it('a different message or reason is a new event', async () => {
    const recorder = await createEventRecorder({ store, cache, logger: silentLogger(), clock });
    await recorder.record(pod, 'Warning', 'FailedScheduling', 'no fit', source);
    await recorder.record(pod, 'Warning', 'FailedScheduling', 'still no fit, differently', source);
    await recorder.record(pod, 'Normal', 'Scheduled', 'Successfully assigned apps/web-1 to n1', source);
    expect((await events('apps')).map((e) => e.reason).sort()).toEqual(['FailedScheduling', 'FailedScheduling', 'Scheduled']);
  });

  it('creates a new event when the bumped one was deleted meanwhile', async () => {
    const recorder = await createEventRecorder({ store, cache, logger: silentLogger(), clock });
    const first = await recorder.record(pod, 'Warning', 'FailedScheduling', 'no fit', source);
    await store.delete({ kind: 'Event', namespace: 'apps', name: first!.metadata.name });
    const second = await recorder.record(pod, 'Warning', 'FailedScheduling', 'no fit', source);
    expect(second?.count).toBe(1);
    expect(await events('apps')).toHaveLength(1);
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const recorder = await createEventRecorder({ store, cache, logger: silentLogger(), clock });
    await recorder.record({ kind: 'Node', name: 'edge-1' }, 'Normal', 'NodeReady', 'Node edge-1 status is now: NodeReady', { component: 'node-controller' });
    const [e] = await events('default');
    expect(e?.involvedObject).toEqual({ kind: 'Node', name: 'edge-1' });
  });

  it('keeps at most N events per namespace, deleting the oldest', async () => {
    const recorder = await createEventRecorder({ store, cache, logger: silentLogger(), clock, maxEventsPerNamespace: 3 });
    for (let i = 0; i < 5; i++) {
      now += 1000;
      await recorder.record({ ...pod, name: `p${i}` }, 'Normal', 'Scheduled', `assigned p${i}`, source);
    }
    await recorder.record({ ...pod, namespace: 'other' }, 'Normal', 'Scheduled', 'elsewhere', source);
    const kept = await events('apps');
    expect(kept.map((e) => e.involvedObject.name).sort()).toEqual(['p2', 'p3', 'p4']);
    expect(await events('other')).toHaveLength(1);
  });

  it('counts events already in the store towards the cap (after a restart)', async () => {
    const first = await createEventRecorder({ store, cache, logger: silentLogger(), clock, maxEventsPerNamespace: 2 });
    now += 1000;
    await first.record({ ...pod, name: 'old-1' }, 'Normal', 'Scheduled', 'a', source);
    now += 1000;
    await first.record({ ...pod, name: 'old-2' }, 'Normal', 'Scheduled', 'b', source);
    const second = await createEventRecorder({ store, cache, logger: silentLogger(), clock, maxEventsPerNamespace: 2 });
    now += 1000;
    await second.record({ ...pod, name: 'new' }, 'Normal', 'Scheduled', 'c', source);
    expect((await events('apps')).map((e) => e.involvedObject.name).sort()).toEqual(['new', 'old-2']);
  });

  it('never rejects: a failed write resolves undefined', async () => {
    const recorder = await createEventRecorder({ store, cache, logger: silentLogger(), clock });
    await store.close();
    await expect(recorder.record(pod, 'Normal', 'Scheduled', 'x', source)).resolves.toBeUndefined();
  });

  it('formats timestamps as Kubernetes does (whole seconds, Z)', () => {
    expect(kubeTimestamp(Date.parse('2026-11-24T10:00:00.999Z'))).toBe('2026-11-24T10:00:00Z');
  });
});
