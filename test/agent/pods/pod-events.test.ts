import { describe, expect, it } from 'vitest';
import { createPodEventQueue, podRefOf } from '../../../agent/pods/pod-events.js';
import { silentLogger } from '../../../protocol/logger.js';
import { fakeClock, makePod } from '../helpers.js';

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
