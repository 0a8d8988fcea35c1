import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContainerRecords, type ContainerRecords } from '../../../agent/pods/container-records.js';
import { createPodEventQueue, type PodEventQueue } from '../../../agent/pods/pod-events.js';
import { computePodStatus, podsToReport } from '../../../agent/pods/pod-status.js';
import { createReconciler, type Observation, type Reconciler } from '../../../agent/pods/reconciler.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { Pod, PodStatus } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { createFakeRuntime, type FakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import { desiredSet, fakeClock, makePod, NODE, tempDir, TEST_IMAGE } from '../helpers.js';

describe('reconciler events and probe kills (fake runtime, fake clock)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let runtime: FakeRuntime;
  let records: ContainerRecords;
  let reconciler: Reconciler;
  let events: PodEventQueue;
  let clock: ReturnType<typeof fakeClock>;
  let observation: Observation | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    runtime = createFakeRuntime({ pullable: ['registry.local/app:v2'] });
    clock = fakeClock();
    records = createContainerRecords({ dataDir: dir, logger: silentLogger() });
    events = createPodEventQueue({ clock: clock.now, logger: silentLogger() });
    reconciler = createReconciler({
      runtime,
      records,
      nodeName: NODE,
      dataDir: dir,
      logger: silentLogger(),
      clock: clock.now,
      events,
      onObserved: (o) => (observation = o),
    });
  });
  afterEach(async () => {
    await reconciler.stop();
    await runtime.close();
    await cleanup();
  });

  const run = (pods: Pod[], generation = 1) => {
    reconciler.setDesired(desiredSet(generation, pods));
    return reconciler.reconcileOnce();
  };
  const said = () => events.take(1000).map((e) => `${e.type} ${e.reason}: ${e.message}${e.count > 1 ? ` x${e.count}` : ''}`);
  const containers = () => runtime.list({ [RUNTIME_LABELS.node]: NODE });
  const status = (name: string): PodStatus | undefined => {
    const r = podsToReport(observation!).find((p) => p.pod.metadata.name === name);
    return r && computePodStatus({ pod: r.pod, containers: r.containers, record: (c) => records.peek(r.uid, c), runtimeName: 'fake', hostIP: undefined, now: new Date(clock.now()).toISOString() });
  };

  it('says Pulled (already present), Created, Started for a new container, and Pulling / Pulled when it pulls', async () => {
    await run([makePod('web', { containers: [{ name: 'main', image: TEST_IMAGE }, { name: 'side', image: 'registry.local/app:v2' }] })]);
    expect(said()).toEqual([
      `Normal Pulled: Container image "${TEST_IMAGE}" already present on machine`,
      'Normal Created: Created container main',
      'Normal Started: Started container main',
      'Normal Pulling: Pulling image "registry.local/app:v2"',
      'Normal Pulled: Successfully pulled image "registry.local/app:v2" in 0.000s',
      'Normal Created: Created container side',
      'Normal Started: Started container side',
    ]);
    const e = events.take(1);
    expect(e).toEqual([]);
  });

  it('says why an image cannot be had: Failed / ErrImagePull, then BackOff / ImagePullBackOff once', async () => {
    await run([makePod('img', { containers: [{ name: 'main', image: 'registry.local/absent:v1' }] })]);
    expect(said()).toEqual([
      'Normal Pulling: Pulling image "registry.local/absent:v1"',
      'Warning Failed: Failed to pull image "registry.local/absent:v1": fake: pull registry.local/absent:v1 failed: not pullable (test hook)',
      'Warning Failed: Error: ErrImagePull',
    ]);
    await reconciler.reconcileOnce();
    await reconciler.reconcileOnce();
    expect(said()).toEqual(['Normal BackOff: Back-off pulling image "registry.local/absent:v1"', 'Warning Failed: Error: ImagePullBackOff']);
    await run([makePod('never', { containers: [{ name: 'main', image: 'absent:v1', imagePullPolicy: 'Never' }] })], 2);
    expect(said()).toContain('Warning ErrImageNeverPull: Container image "absent:v1" is not present with pull policy of Never');
  });

  it('says BackOff once per crash, with the kubelet wording; the waiting message names the back-off', async () => {
    const pod = makePod('crash');
    await run([pod]);
    said();
    const [c] = await containers();
    await runtime.hooks.exitContainer(c!.id, 1);
    await reconciler.reconcileOnce();
    await reconciler.reconcileOnce();
    expect(said()).toEqual(['Warning BackOff: Back-off restarting failed container main in pod crash_default(uid-crash-0000-1111)']);
    expect(status('crash')?.containerStatuses?.[0]?.state?.waiting).toEqual({
      reason: 'CrashLoopBackOff',
      message: 'back-off 10s restarting failed container=main pod=crash_default(uid-crash-0000-1111)',
    });
    clock.advance(10_000);
    await reconciler.reconcileOnce();
    expect(said()).toEqual([
      `Normal Pulled: Container image "${TEST_IMAGE}" already present on machine`,
      'Normal Created: Created container main',
      'Normal Started: Started container main',
    ]);
  });

  it('killContainer stops that instance (no other), says Killing, and restarts it after the back-off', async () => {
    const pod = makePod('live', { spec: { terminationGracePeriodSeconds: 7 } });
    const uid = pod.metadata.uid!;
    await run([pod]);
    said();
    const [first] = await containers();
    reconciler.killContainer({ podUid: uid, container: 'main', containerId: 'not-this-one', message: 'ignored' });
    await reconciler.reconcileOnce();
    expect((await containers())[0]).toMatchObject({ id: first!.id, state: 'running' });
    expect(said()).toEqual([]);

    reconciler.killContainer({ podUid: uid, container: 'main', containerId: first!.id, message: 'Container main failed liveness probe, will be restarted' });
    await reconciler.reconcileOnce();
    expect((await containers())[0]).toMatchObject({ id: first!.id, state: 'exited', exitCode: 143 });
    expect(runtime.hooks.calls).toContain(`stop ${first!.id}`);
    expect(said()).toEqual([
      'Normal Killing: Container main failed liveness probe, will be restarted',
      'Warning BackOff: Back-off restarting failed container main in pod live_default(uid-live-0000-1111)',
    ]);
    await reconciler.reconcileOnce(); // observe the stopped container
    expect(status('live')?.containerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    clock.advance(10_000);
    await reconciler.reconcileOnce();
    await reconciler.reconcileOnce();
    const [second] = await containers();
    expect(second).toMatchObject({ state: 'running' });
    expect(second!.id).not.toBe(first!.id);
    const s = status('live')!.containerStatuses![0]!;
    expect(s.restartCount).toBe(1);
    expect(s.lastState?.terminated).toMatchObject({ exitCode: 143 });
  });

  it('says Killing "Stopping container" for each running container of a deleted pod', async () => {
    const pod = makePod('gone', { containers: [{ name: 'a', image: TEST_IMAGE }, { name: 'b', image: TEST_IMAGE, command: ['fake', 'exit', '0'] }] });
    await run([pod]);
    await new Promise((r) => setTimeout(r, 30)); // b exits
    said();
    await run([], 2);
    expect(said()).toEqual(['Normal Killing: Stopping container a']);
    expect(await containers()).toEqual([]);
  });
});
