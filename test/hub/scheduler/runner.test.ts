import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSchedulerRunner, type SchedulerRunner } from '../../../hub/scheduler/runner.js';
import { createObjectCache, type ObjectCache } from '../../../hub/cache/object-cache.js';
import type { Store, WatchEvent } from '../../../hub/store/store.js';
import { silentLogger, type Event, type Node, type Pod } from '../../../protocol/index.js';
import { eventually, tempStore } from '../controllers/temp-store.js';
import { makeNode, makePod } from '../placement/fixtures.js';

let store: Store;
let cache: ObjectCache;
let dispose: () => Promise<void>;
const runners: SchedulerRunner[] = [];

beforeEach(async () => {
  ({ store, dispose } = await tempStore('drover-scheduler-'));
  cache = createObjectCache({ store, logger: silentLogger() });
  await cache.start();
});
afterEach(async () => {
  for (const r of runners.splice(0)) await r.stop();
  cache.stop();
  await dispose();
});

async function startRunner(
  opts: { initialBackoffMs?: number; maxBackoffMs?: number; schedulerName?: string; roundBudgetMs?: number; monotonicNow?: () => number; onRound?: (n: number) => void } = {},
): Promise<SchedulerRunner> {
  const runner = await createSchedulerRunner({ store, cache, logger: silentLogger(), ...opts });
  runners.push(runner);
  await runner.start();
  return runner;
}

const getPod = (name: string, namespace = 'default') => store.get<Pod>({ kind: 'Pod', namespace, name });
const boundTo = (name: string) => async () => (await getPod(name))?.spec.nodeName;
const podEvents = async (name: string, reason: string) =>
  (await store.list<Event>('Event', { namespace: 'default' })).items.filter((e) => e.involvedObject.name === name && e.reason === reason);

describe('scheduler runner (real SQLite store)', () => {
  it('binds a pod to the only Ready node, with condition and Scheduled event', async () => {
    await store.create(makeNode('sick', { ready: false }));
    await store.create(makeNode('well'));
    await store.create(makePod('web'));
    await startRunner();
    expect(await eventually('pod bound', boundTo('web'))).toBe('well');
    const pod = (await getPod('web'))!;
    expect(pod.status?.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
    const [scheduled] = await eventually('Scheduled event', async () => {
      const e = await podEvents('web', 'Scheduled');
      return e.length ? e : undefined;
    });
    expect(scheduled).toMatchObject({
      type: 'Normal',
      message: 'Successfully assigned default/web to well',
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: pod.metadata.uid },
      source: { component: 'default-scheduler' },
    });
  });

  it('schedules pods created after start', async () => {
    await store.create(makeNode('n1'));
    await startRunner();
    await store.create(makePod('late'));
    expect(await eventually('pod bound', boundTo('late'))).toBe('n1');
  });

  it('marks a pod that fits nowhere Unschedulable, records FailedScheduling, and binds it once a node fits', async () => {
    await store.create(makeNode('small', { memory: '1Gi' }));
    await store.create(makeNode('cordoned', { unschedulable: true }));
    await store.create(makePod('big', { memory: '4Gi' }));
    await startRunner({ initialBackoffMs: 60_000 });
    const message = '0/2 nodes are available: 1 Insufficient memory, 1 node(s) were unschedulable.';
    const pending = await eventually('pod marked unschedulable', async () => {
      const p = await getPod('big');
      return p?.status?.conditions?.some((c) => c.type === 'PodScheduled') ? p : undefined;
    });
    expect(pending.status?.phase).toBe('Pending');
    expect(pending.status?.conditions).toContainEqual(
      expect.objectContaining({ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }),
    );
    const [failed] = await eventually('FailedScheduling event', async () => {
      const e = await podEvents('big', 'FailedScheduling');
      return e.length ? e : undefined;
    });
    expect(failed).toMatchObject({ type: 'Warning', message, count: 1, involvedObject: { name: 'big', namespace: 'default' } });

    // a new node makes it schedulable at once (the back-off here is a minute)
    await store.create(makeNode('large', { memory: '16Gi' }));
    expect(await eventually('pod bound', boundTo('big'))).toBe('large');
    expect((await getPod('big'))!.status?.conditions).toContainEqual(expect.objectContaining({ type: 'PodScheduled', status: 'True' }));
  });

  it('retries with back-off without rewriting an identical Pending status', async () => {
    await store.create(makeNode('small', { cpu: '1' }));
    await store.create(makePod('hungry', { cpu: '2' }));
    await startRunner({ initialBackoffMs: 20, maxBackoffMs: 40 });
    const counted = await eventually('several attempts', async () => {
      const [e] = await podEvents('hungry', 'FailedScheduling');
      return e && (e.count ?? 0) >= 4 ? e : undefined;
    });
    expect(counted.count).toBeGreaterThanOrEqual(4);
    const pod = (await getPod('hungry'))!;
    // created (1 write) + marked unschedulable once (1 write): retries wrote nothing more to the pod
    const history: WatchEvent[] = [];
    const w = store.watch({ kind: 'Pod', fromRevision: 0 }, (e) => history.push(e));
    await new Promise((r) => setTimeout(r, 50));
    w.close();
    expect(history.filter((e) => e.object.metadata.name === 'hungry').map((e) => e.type)).toEqual(['ADDED', 'MODIFIED']);
    expect(pod.spec.nodeName).toBeUndefined();
  });

  it('ignores node heartbeats but retries when something that matters changes', async () => {
    const node = await store.create(makeNode('edge', { labels: { zone: 'south' } }));
    await store.create(makePod('picky', { nodeSelector: { zone: 'north' } }));
    await startRunner({ initialBackoffMs: 60_000 });
    await eventually('first failure', async () => ((await podEvents('picky', 'FailedScheduling')).length ? true : undefined));
    let current = node as Node;
    for (let i = 0; i < 5; i++) {
      current = await store.update<Node>({
        ...current,
        status: { ...current.status, usage: { cpuPercent: i, memoryUsedBytes: i, timestamp: new Date().toISOString() } },
      });
    }
    await new Promise((r) => setTimeout(r, 300));
    expect((await podEvents('picky', 'FailedScheduling'))[0]?.count).toBe(1);
    await store.update<Node>({ ...current, metadata: { ...current.metadata, labels: { zone: 'north' } } });
    expect(await eventually('pod bound', boundTo('picky'))).toBe('edge');
  });

  it('binds a waiting pod when a running pod is deleted and frees the node', async () => {
    await store.create(makeNode('only', { cpu: '1' }));
    await store.create(makePod('first', { cpu: '1' }));
    await startRunner({ initialBackoffMs: 60_000 });
    await eventually('first bound', boundTo('first'));
    await store.create(makePod('second', { cpu: '1' }));
    await eventually('second unschedulable', async () => ((await podEvents('second', 'FailedScheduling')).length ? true : undefined));
    await store.delete({ kind: 'Pod', namespace: 'default', name: 'first' });
    expect(await eventually('second bound', boundTo('second'))).toBe('only');
  });

  it('leaves pods of another scheduler, deleting pods and bound pods alone', async () => {
    await store.create(makeNode('n1'));
    await store.create(makePod('other', { schedulerName: 'my-scheduler' }));
    await store.create({ ...makePod('pinned', { nodeName: 'elsewhere' }) });
    await startRunner();
    await store.create(makePod('mine'));
    await eventually('mine bound', boundTo('mine'));
    expect((await getPod('other'))!.spec.nodeName).toBeUndefined();
    expect((await getPod('other'))!.status).toBeUndefined();
    expect((await getPod('pinned'))!.spec.nodeName).toBe('elsewhere');
  });

  it('a runner with a custom schedulerName takes only its pods', async () => {
    await store.create(makeNode('n1'));
    await store.create(makePod('other', { schedulerName: 'my-scheduler' }));
    await store.create(makePod('default-one'));
    await startRunner({ schedulerName: 'my-scheduler' });
    expect(await eventually('other bound', boundTo('other'))).toBe('n1');
    const [e] = await podEvents('other', 'Scheduled');
    expect(e?.source?.component).toBe('my-scheduler');
    expect((await getPod('default-one'))!.spec.nodeName).toBeUndefined();
  });

  it('two runners racing on one store never bind a pod twice (compare-and-swap)', async () => {
    for (const n of ['n1', 'n2', 'n3']) await store.create(makeNode(n));
    const names = Array.from({ length: 30 }, (_, i) => `race-${i}`);
    const seen = new Map<string, Set<string>>();
    const w = store.watch({ kind: 'Pod', fromRevision: await store.revision() }, (e) => {
      const pod = e.object as Pod;
      if (!pod.spec.nodeName) return;
      const set = seen.get(pod.metadata.name) ?? new Set<string>();
      set.add(pod.spec.nodeName);
      seen.set(pod.metadata.name, set);
    });
    try {
      await startRunner();
      await startRunner();
      for (const name of names) await store.create(makePod(name, { owner: 'race' }));
      for (const name of names) await eventually(`${name} bound`, boundTo(name));
      // let both runners finish whatever they were doing
      await Promise.all(runners.splice(0).map((r) => r.stop()));
      for (const name of names) expect([...(seen.get(name) ?? [])]).toHaveLength(1);
      const scheduled = (await store.list<Event>('Event', { namespace: 'default' })).items.filter((e) => e.reason === 'Scheduled');
      const perPod = new Map<string, number>();
      for (const e of scheduled) perPod.set(e.involvedObject.name!, (perPod.get(e.involvedObject.name!) ?? 0) + (e.count ?? 1));
      expect(names.map((n) => perPod.get(n))).toEqual(names.map(() => 1));
    } finally {
      w.close();
    }
  });

  it('ends a round when its time budget is spent, writes it and lets the event loop run before the next', async () => {
    for (const n of ['n1', 'n2', 'n3']) await store.create(makeNode(n));
    await cache.waitFor(await store.revision());
    // every look at the clock is 10 ms later: with a 25 ms budget a round decides 3 pods
    let now = 0;
    const rounds: number[] = [];
    const turns: number[] = [];
    let turn = 0;
    const ticking = setInterval(() => turn++, 0);
    try {
      await startRunner({ roundBudgetMs: 25, monotonicNow: () => (now += 10), onRound: (n) => (rounds.push(n), turns.push(turn)) });
      for (let i = 0; i < 10; i++) await store.create(makePod(`budget-${i}`, { cpu: '10m' }));
      await eventually('10 pods bound', async () => {
        for (let i = 0; i < 10; i++) if (!(await boundTo(`budget-${i}`)())) return undefined;
        return true;
      }, 30_000);
    } finally {
      clearInterval(ticking);
    }
    expect(rounds.reduce((a, b) => a + b, 0)).toBe(10);
    expect(Math.max(...rounds)).toBeLessThanOrEqual(3);
    // timers ran between rounds: the rounds did not hold the event loop
    for (let i = 1; i < turns.length; i++) expect(turns[i]!).toBeGreaterThanOrEqual(turns[i - 1]!);
    expect(turns[turns.length - 1]!).toBeGreaterThan(turns[0]!);
  });

  it('stop() is idempotent and stops scheduling', async () => {
    await store.create(makeNode('n1'));
    const runner = await startRunner();
    await runner.stop();
    await runner.stop();
    await store.create(makePod('after-stop'));
    await new Promise((r) => setTimeout(r, 200));
    expect((await getPod('after-stop'))!.spec.nodeName).toBeUndefined();
  });
});
