/** Scenario deploy: a Deployment rolled out (bound, Running and Ready), then deleted; rollOut and deleteAndWait serve the other scenarios too. */
import { procStat, round, sleep, waitUntil, type LiveMap } from '../scale-support.js';
import { REPLICAS, TIMEOUT_MS, CPU_PROFILE, log } from './config.js';
import { type PodJson, podReady, deployment } from './objects.js';
import type { Fleet } from './fleet.js';
import { hubMemoryNote } from './hub-metrics.js';
import { heapSnapshot } from './profiles.js';
import { measureApi } from './api.js';

/** Apply a Deployment and wait until all its pods are bound and then Running and Ready. */
export async function rollOut(f: Fleet, name: string, replicas: number, what: string): Promise<{ pods: LiveMap<PodJson>; ok: boolean }> {
  const pods = f.api.watch<PodJson>(`/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`app=${name}`)}`);
  let peakRss = 0;
  const sampler = setInterval(() => void procStat(f.hub.pid).then((s) => (peakRss = Math.max(peakRss, s.rssKiB)), () => undefined), 1000);
  try {
    const simPids = await f.simPids();
    const cpuBefore = await Promise.all([f.hub.pid, ...simPids].map((pid) => procStat(pid).then((s) => s.ticks, () => 0)));
    const t0 = performance.now();
    const cpuSince = async () => {
      const now = await Promise.all([f.hub.pid, ...simPids].map((pid) => procStat(pid).then((s) => s.ticks, () => 0)));
      const seconds = (performance.now() - t0) / 1000;
      const pct = now.map((t, i) => ((t - cpuBefore[i]!) / 100 / seconds) * 100);
      return { hub: round(pct[0]!, 0), sims: round(pct.slice(1).reduce((a, b) => a + b, 0), 0) };
    };
    // SCALE_CPU_PROFILE=1: the hub's CPU profile covers the rollout, from the create until all are Running
    if (CPU_PROFILE) process.kill(f.hub.pid, 'SIGWINCH');
    const created = await f.api.request('POST', '/apis/apps/v1/namespaces/default/deployments', deployment(name, replicas));
    if (created.status !== 201) throw new Error(`create deployment ${name}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
    const count = () => {
      let bound = 0;
      let ready = 0;
      for (const p of pods.items.values()) {
        if (p.metadata.deletionTimestamp) continue;
        if (p.spec.nodeName) bound++;
        if (podReady(p)) ready++;
      }
      return { all: pods.items.size, bound, ready };
    };
    let lastLog = 0;
    const progress = () => {
      const e = (performance.now() - t0) / 1000;
      if (e - lastLog >= 10) {
        lastLog = e;
        const c = count();
        const sims = f.simTotal();
        log(`${name}: ${round(e, 0)} s, ${c.all} pods, ${c.bound} bound, ${c.ready} Running+Ready (API); the simulators hold ${sims.pods} in their desired sets, ${sims.running} running; sim reconnects ${sims.reconnects}`);
      }
      if (!f.hubAlive()) throw new Error('hub exited');
    };
    const bound = await waitUntil(() => (progress(), count().bound >= replicas), TIMEOUT_MS, 100);
    const tBound = (performance.now() - t0) / 1000;
    // two profiles: hub-1 from the create until all bound, hub-2 from then until all Running (or the timeout)
    if (CPU_PROFILE) process.kill(f.hub.pid, 'SIGWINCH');
    if (!bound) {
      const c = count();
      f.notReached(`${what}: all ${replicas} bound`, `${c.all} pods created, ${c.bound} bound`);
      return { pods, ok: false };
    }
    let tSim: number | undefined;
    const running = await waitUntil(() => {
      progress();
      if (tSim === undefined && f.simTotal().running >= replicas) tSim = (performance.now() - t0) / 1000;
      return count().ready >= replicas;
    }, TIMEOUT_MS, 100);
    const tRunning = (performance.now() - t0) / 1000;
    if (CPU_PROFILE) process.kill(f.hub.pid, 'SIGWINCH');
    const perNode = new Map<string, number>();
    for (const p of pods.items.values()) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    f.record(`${what}: all ${replicas} bound`, round(tBound), 's', `from the create; on ${perNode.size} nodes, at most ${Math.max(...perNode.values())} per node`);
    // the simulators' own count comes in their progress lines (every second)
    if (running && tSim === undefined) {
      await waitUntil(() => f.simTotal().running >= replicas, 5000, 100);
      if (f.simTotal().running >= replicas) tSim = (performance.now() - t0) / 1000;
    }
    if (!running) {
      f.notReached(`${what}: all ${replicas} Running`, `${count().ready} Running and Ready in the API, ${f.simTotal().running} running in the simulators`);
      return { pods, ok: false };
    }
    const cpu = await cpuSince();
    f.record(`${what}: all ${replicas} Running and Ready in the API`, round(tRunning), 's',
      `the simulators counted them all running by ${round(tSim ?? NaN)} s (their progress lines come every second; --running-after 1000 ms); during the rollout the hub used ${cpu.hub} % of a core on average, the simulators ${cpu.sims} %; hub RSS peak ${Math.round(peakRss / 1024)} MiB`);
    return { pods, ok: true };
  } finally {
    clearInterval(sampler);
  }
}

export async function deleteAndWait(f: Fleet, name: string, pods: LiveMap<PodJson>, what?: string): Promise<void> {
  const t0 = performance.now();
  // A DELETE without preconditions should never conflict; this hub answers 409 when its controller
  // wrote the Deployment between the API's read and its delete (hub/api/deletion.ts deleteGeneric):
  // try again, as a client would have to, and say how often.
  let conflicts = 0;
  for (;;) {
    const r = await f.api.request('DELETE', `/apis/apps/v1/namespaces/default/deployments/${name}`);
    if (r.status === 200 || r.status === 202) break;
    if (r.status !== 409 || ++conflicts > 20) throw new Error(`delete deployment ${name}: HTTP ${r.status} (after ${conflicts} conflicts)`);
    await sleep(200);
  }
  const gone = await waitUntil(() => pods.items.size === 0, TIMEOUT_MS, 100);
  const t = (performance.now() - t0) / 1000;
  if (what) {
    if (gone) {
      f.record(`${what}: deleted and gone`, round(t), 's',
        `DELETE of the Deployment until no pod is left (graceful: each simulated node reports its pods stopped)${conflicts ? `; the DELETE was answered 409 Conflict ${conflicts} times first` : ''}`);
    }
    else f.notReached(`${what}: deleted and gone`, `${pods.items.size} pods left`);
  }
  pods.close();
}

export async function scenarioDeploy(f: Fleet, api: boolean): Promise<void> {
  const what = `Deployment of ${REPLICAS} on ${f.n} nodes`;
  const { pods, ok } = await rollOut(f, 'scale-deploy', REPLICAS, what);
  await sleep(10_000); // let the rollout's status writes settle
  f.record(`hub RSS with ${REPLICAS} pods`, Math.round((await procStat(f.hub.pid)).rssKiB / 1024), 'MiB',
    `${ok ? 'all' : 'not all'} Running, 10 s after the rollout, every node heartbeating; ${await hubMemoryNote(f)}`);
  if (ok) await heapSnapshot(f, `${REPLICAS}-pods`);
  if (api) await measureApi(f, ok ? `${REPLICAS} pods Running` : `${REPLICAS} pods, not all Running`, [...pods.items.values()][0]?.metadata.name);
  await deleteAndWait(f, 'scale-deploy', pods, ok ? what : `${what} (not all Running)`);
}
