/** The previous instance's log: kept when a dead container is replaced, replaced at each restart, removed with the pod. */
import { stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContainerRecords } from '../../../agent/pods/container-records.js';
import { createReconciler, type Reconciler } from '../../../agent/pods/reconciler.js';
import { previousLogPath, readPreviousLog } from '../../../agent/previous-logs.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { createFakeRuntime, type FakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import { desiredSet, fakeClock, makePod, NODE, tempDir, TEST_IMAGE } from '../helpers.js';

describe('previous instance logs (pod worker, fake runtime)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let runtime: FakeRuntime;
  let reconciler: Reconciler;
  let clock: ReturnType<typeof fakeClock>;
  let generation = 0;

  const UID = 'uid-crash';
  const pod = makePod('crash', { uid: UID, containers: [{ name: 'main', image: TEST_IMAGE, args: ['fake', 'run'] }] });
  const run = (pods: Pod[]) => {
    reconciler.setDesired(desiredSet(++generation, pods));
    return reconciler.reconcileOnce();
  };
  const current = async () => (await runtime.list({ [RUNTIME_LABELS.node]: NODE }))[0]!;
  const previous = () => readPreviousLog(dir, UID, 'main');

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    runtime = createFakeRuntime();
    clock = fakeClock();
    const records = createContainerRecords({ dataDir: dir, logger: silentLogger() });
    await records.load();
    reconciler = createReconciler({ runtime, records, nodeName: NODE, dataDir: dir, logger: silentLogger(), clock: clock.now, onObserved: () => undefined });
  });
  afterEach(async () => {
    await reconciler.stop();
    await runtime.close();
    await cleanup();
  });

  it('keeps the dead instance\'s output when it is restarted, replaces it at the next restart, and removes it with the pod', async () => {
    await run([pod]);
    const first = await current();
    runtime.hooks.appendLog(first.id, 'first 1\nfirst 2\n');
    await runtime.hooks.exitContainer(first.id, 1);
    await reconciler.reconcileOnce();
    // backing off: the dead instance is still there (plain `logs` reads it), nothing kept yet
    expect(await previous()).toBeUndefined();
    clock.advance(10_000);
    await reconciler.reconcileOnce();
    const second = await current();
    expect(second.id).not.toBe(first.id);
    expect(await previous()).toBe('first 1\nfirst 2\n');
    expect(await readPreviousLog(dir, UID, 'main', 1)).toBe('first 2\n');
    expect((await stat(previousLogPath(dir, UID, 'main'))).mode & 0o777).toBe(0o600);

    runtime.hooks.appendLog(second.id, 'second\n');
    await runtime.hooks.exitContainer(second.id, 2);
    await reconciler.reconcileOnce();
    clock.advance(20_000);
    await reconciler.reconcileOnce();
    expect((await current()).state).toBe('running');
    expect(await previous()).toBe('second\n');

    // a spec change replaces the running instance: its output becomes the previous one too
    const third = await current();
    runtime.hooks.appendLog(third.id, 'third\n');
    await run([makePod('crash', { uid: UID, containers: [{ name: 'main', image: TEST_IMAGE, args: ['fake', 'trap-term'] }] })]);
    expect((await current()).id).not.toBe(third.id);
    expect(await previous()).toBe('third\n');

    await run([]);
    expect(await previous()).toBeUndefined();
    await expect(stat(previousLogPath(dir, UID, 'main'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a container that never restarted has no previous log', async () => {
    await run([pod]);
    runtime.hooks.appendLog((await current()).id, 'only\n');
    await reconciler.reconcileOnce();
    expect(await previous()).toBeUndefined();
  });
});
