import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventRecorder } from '../../../hub/events/recorder.js';
import { createSpamFilter } from '../../../hub/events/spam-filter.js';
import type { ObjectCache } from '../../../hub/cache/object-cache.js';
import type { Store } from '../../../hub/store/store.js';
import { silentLogger, type Event } from '../../../protocol/index.js';
import { tempStore } from '../controllers/temp-store.js';

let store: Store;
let cache: ObjectCache;
let dispose: () => Promise<void>;
let now = Date.parse('2026-12-01T10:00:00Z');
const clock = () => now;
const rs = { apiVersion: 'apps/v1', kind: 'ReplicaSet', namespace: 'apps', name: 'web-abc', uid: 'rs-1' };
const source = { component: 'replicaset-controller' };

beforeEach(async () => {
  ({ store, cache, dispose } = await tempStore('drover-events-spam-'));
  now = Date.parse('2026-12-01T10:00:00Z');
});
afterEach(async () => dispose());

const events = async () => (await store.list<Event>('Event', { namespace: 'apps' })).items;

describe('spam filter (client-go EventSourceObjectSpamFilter)', () => {
  it('lets 25 events about one object through, then one every 5 minutes; other objects have their own bucket', () => {
    const filter = createSpamFilter();
    const t = 0;
    const allowed = Array.from({ length: 40 }, () => filter.allow(rs, source, t)).filter(Boolean).length;
    expect(allowed).toBe(25);
    expect(filter.allow({ ...rs, name: 'other' }, source, t)).toBe(true);
    expect(filter.allow(rs, source, t + 4 * 60_000)).toBe(false);
    expect(filter.allow(rs, source, t + 5 * 60_000)).toBe(true);
    expect(filter.allow(rs, source, t + 5 * 60_000)).toBe(false);
  });
});

describe('event recorder with the spam filter and aggregation', () => {
  it('a ReplicaSet creating 100 pods leaves a few events, the similar ones combined, not 100', async () => {
    const recorder = await createEventRecorder({ store, cache, logger: silentLogger(), clock });
    const results = [];
    for (let i = 0; i < 100; i++) results.push(await recorder.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: web-abc-${i}`, source));
    const stored = await events();
    // 9 distinct events, then the 10th and every later one within the bucket combined into one
    expect(stored).toHaveLength(10);
    const combined = stored.find((e) => e.message?.startsWith('(combined from similar events): '))!;
    expect(combined.count).toBe(25 - 9);
    expect(combined.message).toBe('(combined from similar events): Created pod: web-abc-24');
    expect(results.filter((r) => r === undefined)).toHaveLength(75); // dropped by the spam filter
  });

  it('keeps bumping one repeated event', async () => {
    const recorder = await createEventRecorder({ store, cache, logger: silentLogger(), clock });
    const pod = { apiVersion: 'v1', kind: 'Pod', namespace: 'apps', name: 'web-1', uid: 'p1' };
    for (let i = 0; i < 5; i++) {
      now += 10_000;
      await recorder.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container', { component: 'drover-agent', host: 'n1' });
    }
    const stored = await events();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.count).toBe(5);
  });
});
