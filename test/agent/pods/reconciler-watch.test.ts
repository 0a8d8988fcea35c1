/**
 * The reconciler with a runtime that reports container events (ContainerRuntime.watch): with the periodic
 * pass pushed out to 10 minutes, a container exit is still seen at once (the event triggers a pass) and the
 * crashed container is restarted when its back-off ends (the wake-up timer), and stop() ends the watch.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContainerRecords } from '../../../agent/pods/container-records.js';
import { createReconciler, type Observation, type Reconciler } from '../../../agent/pods/reconciler.js';
import { silentLogger } from '../../../protocol/logger.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { createFakeRuntime, type FakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import { desiredSet, makePod, NODE, tempDir, waitUntil } from '../helpers.js';

describe('reconciler driven by runtime events', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let runtime: FakeRuntime;
  let emit: ((reason: string) => void) | undefined;
  let watchStopped = false;
  let reconciler: Reconciler;
  let observation: Observation | undefined;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    runtime = Object.assign(createFakeRuntime(), {
      watch(onChange: (reason: string) => void) {
        emit = onChange;
        return { stop: () => void (watchStopped = true) };
      },
    });
    const records = createContainerRecords({ dataDir: dir, logger: silentLogger() });
    await records.load();
    reconciler = createReconciler({
      runtime,
      records,
      nodeName: NODE,
      dataDir: dir,
      logger: silentLogger(),
      intervalMs: 10 * 60_000,
      onObserved: (o) => (observation = o),
    });
  });
  afterEach(async () => {
    await reconciler.stop();
    await runtime.close();
    await cleanup();
  });

  const running = async () => (await runtime.list({ [RUNTIME_LABELS.node]: NODE })).filter((c) => c.state === 'running');

  it('does not pass again and again while nothing changes (each pass runs the runtime CLI)', async () => {
    reconciler.start();
    reconciler.setDesired(desiredSet(1, [makePod('web'), makePod('db', { uid: 'uid-db-0000-2222' })]));
    await waitUntil('both containers running', async () => ((await running()).length === 2 ? true : undefined), 30_000);
    await new Promise((r) => setTimeout(r, 300)); // the passes that follow the starts
    const lists = () => runtime.hooks.calls.filter((c) => c === 'list').length;
    const before = lists();
    await new Promise((r) => setTimeout(r, 1500));
    // running() above lists too, but it is not called in this window; a spinning reconciler lists hundreds of times
    expect(lists() - before).toBe(0);
  });

  it('reacts to an exit event at once and restarts after the back-off without a periodic pass', async () => {
    reconciler.start();
    expect(emit).toBeDefined();
    reconciler.setDesired(desiredSet(1, [makePod('web')]));
    const [first] = await waitUntil('the container running', async () => ((await running()).length === 1 ? running() : undefined), 30_000);

    const passesBefore = observation!.at;
    await runtime.hooks.exitContainer(first!.id, 1);
    emit!('fake die');
    await waitUntil('a pass that saw the exit', () =>
      observation!.at > passesBefore && observation!.containersByPod.get('uid-web-0000-1111')?.[0]?.state === 'exited' ? true : undefined,
      30_000,
    );

    // the first back-off is 10 s; only the wake-up timer can start the pass that restarts it
    const restarted = await waitUntil('the restarted container', async () => {
      const now = await running();
      return now.length === 1 && now[0]!.id !== first!.id ? now[0] : undefined;
    }, 60_000);
    expect(restarted.id).not.toBe(first!.id);

    await reconciler.stop();
    expect(watchStopped).toBe(true);
  }, 90_000);
});
