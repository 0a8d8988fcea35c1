import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKOFF_RESET_AFTER_MS } from '../../../agent/pods/backoff.js';
import { createContainerRecords, type ContainerRecords } from '../../../agent/pods/container-records.js';
import { computePodStatus, podsToReport } from '../../../agent/pods/pod-status.js';
import { createReconciler, type Observation, type Reconciler } from '../../../agent/pods/reconciler.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { Pod, PodStatus } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { createFakeRuntime, type FakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import { desiredSet, fakeClock, makePod, NODE, tempDir, TEST_IMAGE } from '../helpers.js';

interface Harness {
  runtime: FakeRuntime;
  reconciler: Reconciler;
  records: ContainerRecords;
  clock: ReturnType<typeof fakeClock>;
  last: () => Observation;
  status: (name: string) => PodStatus | undefined;
  containers: () => Promise<Awaited<ReturnType<FakeRuntime['list']>>>;
  restart: () => Promise<void>;
}

describe('reconciler (fake runtime, fake clock)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let h: Harness;

  async function harness(runtime = createFakeRuntime(), clock = fakeClock()): Promise<Harness> {
    let observation: Observation | undefined;
    let records = createContainerRecords({ dataDir: dir, logger: silentLogger() });
    await records.load();
    const make = () =>
      createReconciler({ runtime, records, nodeName: NODE, dataDir: dir, logger: silentLogger(), clock: clock.now, onObserved: (o) => (observation = o) });
    const self: Harness = {
      runtime,
      reconciler: make(),
      records,
      clock,
      last: () => observation!,
      status(name) {
        const r = podsToReport(observation!).find((p) => p.pod.metadata.name === name);
        if (!r) return undefined;
        return computePodStatus({
          pod: r.pod,
          containers: r.containers,
          record: (c) => self.records.peek(r.uid, c),
          runtimeName: 'fake',
          hostIP: '192.0.2.1',
          now: new Date(clock.now()).toISOString(),
        });
      },
      containers: () => runtime.list({ [RUNTIME_LABELS.node]: NODE }),
      async restart() {
        // a new agent process: fresh records loaded from disk, fresh reconciler, same runtime
        await self.reconciler.stop();
        records = createContainerRecords({ dataDir: dir, logger: silentLogger() });
        await records.load();
        self.records = records;
        self.reconciler = make();
      },
    };
    return self;
  }

  const run = (pods: Pod[], generation = 1) => {
    h.reconciler.setDesired(desiredSet(generation, pods));
    return h.reconciler.reconcileOnce();
  };
  const creates = () => h.runtime.hooks.calls.filter((c) => c.startsWith('create')).length;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    h = await harness();
  });
  afterEach(async () => {
    await h.reconciler.stop();
    await h.runtime.close();
    await cleanup();
  });

  it('before any desired set is given it holds: a running pod is neither stopped nor removed, and nothing is reported', async () => {
    await run([makePod('web', { uid: 'uid-web', containers: [{ name: 'main', image: TEST_IMAGE, volumeMounts: [{ name: 's', mountPath: '/s' }] }], spec: { volumes: [{ name: 's', emptyDir: {} }] } })]);
    expect(await h.containers()).toHaveLength(1);
    // a new agent process whose stored set was missing or damaged: no setDesired yet
    await h.restart();
    expect(h.reconciler.holding()).toBe(true);
    const callsBefore = h.runtime.hooks.calls.length;
    await h.reconciler.reconcileOnce();
    await h.reconciler.reconcileOnce();
    expect((await h.containers()).map((c) => c.state)).toEqual(['running']);
    expect(h.runtime.hooks.calls.slice(callsBefore).filter((c) => /^(stop|remove|kill|create)/.test(c))).toEqual([]);
    expect(await readdir(join(dir, 'pods'))).toEqual(['uid-web']);
    // the hub's set arrives: reconciled against it (here the pod is gone)
    h.reconciler.setDesired(desiredSet(2, []));
    expect(h.reconciler.holding()).toBe(false);
    await h.reconciler.reconcileOnce();
    expect(await h.containers()).toEqual([]);
  });

  it('starts the missing containers of a desired pod, labelled for this node', async () => {
    const pod = makePod('web', { containers: [{ name: 'a', image: TEST_IMAGE }, { name: 'b', image: TEST_IMAGE }] });
    await run([pod]);
    const list = await h.containers();
    expect(list.map((c) => [c.labels[RUNTIME_LABELS.container], c.state]).sort()).toEqual([
      ['a', 'running'],
      ['b', 'running'],
    ]);
    expect(list[0]!.labels[RUNTIME_LABELS.podUid]).toBe(pod.metadata.uid);
    await h.reconciler.reconcileOnce();
    expect(h.status('web')?.phase).toBe('Running');
    // a second pass changes nothing
    await h.reconciler.reconcileOnce();
    expect(creates()).toBe(2);
  });

  it('removes the containers of a pod that is no longer desired, and its emptyDir', async () => {
    const pod = makePod('web', {
      uid: 'uid-web',
      containers: [{ name: 'main', image: TEST_IMAGE, volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] }],
      spec: { volumes: [{ name: 'scratch', emptyDir: {} }] },
    });
    await run([pod]);
    expect((await stat(join(dir, 'pods/uid-web/volumes/scratch'))).isDirectory()).toBe(true);
    await run([], 2);
    expect(await h.containers()).toEqual([]);
    expect(h.runtime.hooks.calls.some((c) => c.startsWith('stop '))).toBe(true);
    expect(await readdir(join(dir, 'pods'))).toEqual([]);
    await h.reconciler.reconcileOnce();
    expect(h.status('web')).toBeUndefined();
  });

  it('stops a pod marked for deletion and it drops out of the report once its containers are gone', async () => {
    const pod = makePod('web');
    await run([pod]);
    const deleting = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 } };
    await run([deleting], 2);
    // the pass that started the kill still saw the container
    expect(podsToReport(h.last()).map((p) => p.pod.metadata.name)).toEqual(['web']);
    expect(await h.containers()).toEqual([]);
    await h.reconciler.reconcileOnce();
    expect(podsToReport(h.last())).toEqual([]);
  });

  it('adopts running containers after an agent restart instead of starting duplicates', async () => {
    const pod = makePod('web');
    await run([pod]);
    const [before] = await h.containers();
    await h.restart();
    await run([pod]);
    const after = await h.containers();
    expect(after.map((c) => c.id)).toEqual([before!.id]);
    expect(creates()).toBe(1);
  });

  it('replaces a container whose spec changed', async () => {
    const pod = makePod('web', { containers: [{ name: 'main', image: TEST_IMAGE, args: ['fake', 'run'] }] });
    await run([pod]);
    const [before] = await h.containers();
    const changed = makePod('web', { containers: [{ name: 'main', image: TEST_IMAGE, args: ['fake', 'trap-term'] }] });
    await run([changed], 2);
    const after = await h.containers();
    expect(after).toHaveLength(1);
    expect(after[0]!.id).not.toBe(before!.id);
    expect(after[0]!.state).toBe('running');
    expect(h.records.peek(pod.metadata.uid!, 'main')?.restartCount).toBe(1);
  });

  it('restarts an exited container (restartPolicy Always) with a back-off of 10 s, then 20 s, reason CrashLoopBackOff', async () => {
    const pod = makePod('crash');
    await run([pod]);
    let [c] = await h.containers();
    await h.runtime.hooks.exitContainer(c!.id, 1);
    await h.reconciler.reconcileOnce();
    expect(h.status('crash')?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(h.status('crash')?.containerStatuses?.[0]?.state?.waiting?.message).toContain('back-off 10s');
    h.clock.advance(9_000);
    await h.reconciler.reconcileOnce();
    expect((await h.containers())[0]!.state).toBe('exited');
    h.clock.advance(1_000);
    await h.reconciler.reconcileOnce();
    [c] = await h.containers();
    expect(c!.state).toBe('running');
    await h.reconciler.reconcileOnce();
    let s = h.status('crash')!.containerStatuses![0]!;
    expect(s.restartCount).toBe(1);
    expect(s.state?.running).toBeDefined();
    expect(s.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });

    // second crash: 20 s
    await h.runtime.hooks.exitContainer(c!.id, 2);
    await h.reconciler.reconcileOnce();
    expect(h.status('crash')?.containerStatuses?.[0]?.state?.waiting?.message).toContain('back-off 20s');
    h.clock.advance(10_000);
    await h.reconciler.reconcileOnce();
    expect((await h.containers())[0]!.state).toBe('exited');
    h.clock.advance(10_000);
    await h.reconciler.reconcileOnce();
    [c] = await h.containers();
    expect(c!.state).toBe('running');
    await h.reconciler.reconcileOnce();
    s = h.status('crash')!.containerStatuses![0]!;
    expect(s.restartCount).toBe(2);
    expect(s.lastState?.terminated?.exitCode).toBe(2);

    // restart counts and back-off survive an agent restart
    await h.restart();
    await run([pod]);
    await h.runtime.hooks.exitContainer(c!.id, 3);
    await h.reconciler.reconcileOnce();
    expect(h.status('crash')?.containerStatuses?.[0]).toMatchObject({ restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } });
    expect(h.status('crash')?.containerStatuses?.[0]?.state?.waiting?.message).toContain('back-off 40s');
  });

  it('caps the back-off at 5 min and resets it after 10 min of running', async () => {
    const pod = makePod('crash');
    await run([pod]);
    const crashAndWait = async () => {
      const [c] = await h.containers();
      await h.runtime.hooks.exitContainer(c!.id, 1);
      await h.reconciler.reconcileOnce();
      const backoff = h.records.peek(pod.metadata.uid!, 'main')!.backoffMs;
      h.clock.advance(backoff);
      await h.reconciler.reconcileOnce();
      return backoff;
    };
    const seen: number[] = [];
    for (let i = 0; i < 7; i++) seen.push(await crashAndWait());
    expect(seen).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    h.clock.advance(BACKOFF_RESET_AFTER_MS);
    expect(await crashAndWait()).toBe(10_000);
  });

  it('OnFailure restarts only a non-zero exit; Never leaves the container exited', async () => {
    const onFailure = makePod('job-a', { spec: { restartPolicy: 'OnFailure' } });
    const never = makePod('job-b', { spec: { restartPolicy: 'Never' } });
    const ok = makePod('job-c', { spec: { restartPolicy: 'OnFailure' } });
    await run([onFailure, never, ok]);
    const byPod = async () => new Map((await h.containers()).map((c) => [c.labels[RUNTIME_LABELS.podName], c]));
    let m = await byPod();
    await h.runtime.hooks.exitContainer(m.get('job-a')!.id, 1);
    await h.runtime.hooks.exitContainer(m.get('job-b')!.id, 1);
    await h.runtime.hooks.exitContainer(m.get('job-c')!.id, 0);
    await h.reconciler.reconcileOnce();
    h.clock.advance(10_000);
    await h.reconciler.reconcileOnce();
    m = await byPod();
    expect(m.get('job-a')!.state).toBe('running');
    expect(m.get('job-b')!.state).toBe('exited');
    expect(m.get('job-c')!.state).toBe('exited');
    await h.reconciler.reconcileOnce();
    expect(h.status('job-b')?.phase).toBe('Failed');
    expect(h.status('job-c')?.phase).toBe('Succeeded');
    expect(h.status('job-a')?.containerStatuses?.[0]?.restartCount).toBe(1);
  });

  it('reports ErrImagePull, then ImagePullBackOff while backing off, and starts once the image can be pulled', async () => {
    const pod = makePod('img', { containers: [{ name: 'main', image: 'registry.local/app:v1' }] });
    await run([pod]);
    expect(h.status('img')?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImagePull');
    expect(h.status('img')?.phase).toBe('Pending');
    await h.reconciler.reconcileOnce();
    expect(h.status('img')?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ImagePullBackOff');
    h.runtime.hooks.setPullable('registry.local/app:v1', true);
    h.clock.advance(9_000);
    await h.reconciler.reconcileOnce();
    expect(await h.containers()).toEqual([]);
    h.clock.advance(1_000);
    await h.reconciler.reconcileOnce();
    expect((await h.containers())[0]?.state).toBe('running');
    // each attempt is a presence check (policy Never) then the pull: two attempts, one 10 s apart
    const pulls = h.runtime.hooks.calls.filter((c) => c === 'ensureImage registry.local/app:v1');
    expect(pulls).toHaveLength(4);
  });

  it('reports ErrImageNeverPull for a missing image with imagePullPolicy Never', async () => {
    await run([makePod('never', { containers: [{ name: 'main', image: 'absent:v1', imagePullPolicy: 'Never' }] })]);
    expect(h.status('never')?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ErrImageNeverPull');
  });

  it('reports CreateContainerConfigError for env from a ConfigMap the desired set does not carry', async () => {
    await run([
      makePod('cfg', { containers: [{ name: 'main', image: TEST_IMAGE, env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'c', key: 'k' } } }] }] }),
    ]);
    const s = h.status('cfg')!.containerStatuses![0]!;
    expect(s.state?.waiting?.reason).toBe('CreateContainerConfigError');
    expect(s.state?.waiting?.message).toBe('configmap "c" not found');
    expect(await h.containers()).toEqual([]);
  });

  it('survives a runtime outage: the pass is skipped, the next one converges', async () => {
    h.runtime.hooks.setUnavailable(true);
    await run([makePod('web')]);
    h.runtime.hooks.setUnavailable(false);
    await h.reconciler.reconcileOnce();
    expect((await h.containers())[0]?.state).toBe('running');
  });

  it('runs passes on its own once started: a desired-set change converges without reconcileOnce', async () => {
    const loop = createReconciler({
      runtime: h.runtime,
      records: h.records,
      nodeName: NODE,
      dataDir: dir,
      logger: silentLogger(),
      intervalMs: 50,
    });
    loop.start();
    loop.setDesired(desiredSet(1, [makePod('auto')]));
    const deadline = Date.now() + 5_000;
    while ((await h.containers()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await loop.stop();
    expect((await h.containers())[0]?.labels[RUNTIME_LABELS.podName]).toBe('auto');
  });
});
