/**
 * The pods loop with a pod network (a fake one standing for agent/network): containers are made in their
 * pod's sandbox, wait in ContainerCreating while it cannot be made, are re-created when it is made anew
 * (SandboxChanged), and the sandbox is released with the pod. Fake runtime, fake clock, real temp dirs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PodNetworkError } from '../../../agent/errors.js';
import type { PodSandbox, PodSandboxes } from '../../../agent/pod-sandbox.js';
import { createContainerRecords } from '../../../agent/pods/container-records.js';
import { computePodStatus, podsToReport } from '../../../agent/pods/pod-status.js';
import { createReconciler, type Observation } from '../../../agent/pods/reconciler.js';
import { podUid } from '../../../agent/desired-set.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { createFakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import { desiredSet, fakeClock, makePod, NODE, tempDir } from '../helpers.js';

/** A pod network in memory: sandbox ids count up; `fail` makes ensure() throw. */
function fakeSandboxes() {
  let next = 1;
  const made = new Map<string, PodSandbox>();
  const calls: string[] = [];
  const self = {
    fail: undefined as string | undefined,
    calls,
    /** Forget a pod's sandbox, as a reboot loses the network namespace. */
    lose: (uid: string) => void made.delete(uid),
    sandboxes: {
      async ensure(pod: Pod) {
        const uid = podUid(pod);
        calls.push(`ensure ${pod.metadata.name}`);
        if (self.fail) throw new PodNetworkError(self.fail);
        let sb = made.get(uid);
        if (!sb) {
          const n = next++;
          sb = { id: `sb${n}`, network: { mode: 'netns', path: `/run/netns/test-${n}` }, podIPs: [`10.42.1.${n + 1}`], mounts: [] };
          made.set(uid, sb);
        }
        return sb;
      },
      current: (uid: string) => made.get(uid),
      async release(uid: string) {
        calls.push(`release ${uid}`);
        made.delete(uid);
      },
      async prune(keep: ReadonlySet<string>) {
        for (const uid of made.keys()) if (!keep.has(uid)) made.delete(uid);
      },
    } satisfies PodSandboxes,
  };
  return self;
}

describe('pods in their sandbox', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  async function setup() {
    const runtime = createFakeRuntime();
    const net = fakeSandboxes();
    const clock = fakeClock();
    const records = createContainerRecords({ dataDir: dir, logger: silentLogger() });
    await records.load();
    let observation: Observation | undefined;
    const reconciler = createReconciler({
      runtime, records, nodeName: NODE, dataDir: dir, logger: silentLogger(), clock: clock.now, sandboxes: net.sandboxes, onObserved: (o) => (observation = o),
    });
    const status = (name: string) => {
      const r = podsToReport(observation!).find((p) => p.pod.metadata.name === name)!;
      return computePodStatus({
        pod: r.pod, containers: r.containers, record: (c) => records.peek(r.uid, c), runtimeName: 'fake', hostIP: '192.0.2.1',
        podIPs: net.sandboxes.current(r.uid)?.podIPs, now: new Date(clock.now()).toISOString(),
      });
    };
    const containers = () => runtime.list({ [RUNTIME_LABELS.node]: NODE });
    return { runtime, net, clock, reconciler, status, containers };
  }

  it("every container of a pod joins its sandbox and carries its id; the pod IP is the sandbox's", async () => {
    const h = await setup();
    const pod = makePod('web', { containers: [{ name: 'a', image: 'drover.local/busybox:test' }, { name: 'b', image: 'drover.local/busybox:test' }] });
    h.reconciler.setDesired(desiredSet(1, [pod]));
    await h.reconciler.reconcileOnce();
    const cs = await h.containers();
    expect(cs.map((c) => c.labels[RUNTIME_LABELS.sandbox])).toEqual(['sb1', 'sb1']);
    expect(h.runtime.hooks.calls.filter((c) => c.startsWith('create'))).toHaveLength(2);
    // a second pass keeps them (same sandbox) and sees them run: the pod IP is the sandbox's
    await h.reconciler.reconcileOnce();
    expect((await h.containers()).map((c) => c.id).sort()).toEqual(cs.map((c) => c.id).sort());
    expect(h.status('web').podIP).toBe('10.42.1.2');
  });

  it('waits in ContainerCreating while the sandbox cannot be made, then starts', async () => {
    const h = await setup();
    h.net.fail = 'the node has no pod CIDR yet';
    h.reconciler.setDesired(desiredSet(1, [makePod('web')]));
    await h.reconciler.reconcileOnce();
    expect(await h.containers()).toEqual([]);
    const waiting = h.status('web').containerStatuses?.[0]?.state?.waiting;
    expect(waiting).toEqual({ reason: 'ContainerCreating', message: 'the node has no pod CIDR yet' });
    h.net.fail = undefined;
    await h.reconciler.reconcileOnce();
    expect((await h.containers()).map((c) => c.state)).toEqual(['running']);
  });

  it('a sandbox made anew re-creates the containers (SandboxChanged); the pod leaving releases it', async () => {
    const h = await setup();
    const pod = makePod('web');
    h.reconciler.setDesired(desiredSet(1, [pod]));
    await h.reconciler.reconcileOnce();
    const [first] = await h.containers();
    h.net.lose(podUid(pod));
    await h.reconciler.reconcileOnce();
    const [second] = await h.containers();
    expect(second!.id).not.toBe(first!.id);
    expect(second!.labels[RUNTIME_LABELS.sandbox]).toBe('sb2');
    expect(h.status('web').containerStatuses?.[0]?.restartCount).toBe(1);
    h.reconciler.setDesired(desiredSet(2, []));
    await h.reconciler.reconcileOnce();
    expect(await h.containers()).toEqual([]);
    expect(h.net.calls).toContain(`release ${podUid(pod)}`);
  });

  it('containers made before the node had a pod network are re-created in a sandbox', async () => {
    const h = await setup();
    // the same runtime, first without a pod network
    const records = createContainerRecords({ dataDir: dir, logger: silentLogger() });
    await records.load();
    const legacy = createReconciler({ runtime: h.runtime, records, nodeName: NODE, dataDir: dir, logger: silentLogger(), clock: h.clock.now });
    legacy.setDesired(desiredSet(1, [makePod('web')]));
    await legacy.reconcileOnce();
    const [old] = await h.containers();
    expect(old!.labels[RUNTIME_LABELS.sandbox]).toBeUndefined();
    await legacy.stop();
    h.reconciler.setDesired(desiredSet(1, [makePod('web')]));
    await h.reconciler.reconcileOnce();
    const [now] = await h.containers();
    expect(now!.id).not.toBe(old!.id);
    expect(now!.labels[RUNTIME_LABELS.sandbox]).toBe('sb1');
  });
});
