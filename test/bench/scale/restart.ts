/** Scenario restart: the hub SIGKILLed and started again on the same data dir; nodes back, pods unchanged. */
import { round, sleep, waitUntil } from '../scale-support.js';
import { env, TIMEOUT_MS, log } from './config.js';
import { type NodeJson, type PodJson, readyCondition, podReady, readyCount } from './objects.js';
import type { Fleet } from './fleet.js';
import { rollOut, deleteAndWait } from './deploy.js';

export interface PodSnapshot {
  node?: string;
  containers: string;
  ready: boolean;
  terminating: boolean;
}

export async function snapshotPods(f: Fleet, name: string): Promise<Map<string, PodSnapshot>> {
  const r = await f.api.request<{ items: PodJson[] }>('GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(`app=${name}`)}`);
  const out = new Map<string, PodSnapshot>();
  for (const p of r.body.items) {
    out.set(p.metadata.uid!, {
      node: p.spec.nodeName,
      containers: JSON.stringify((p.status?.containerStatuses ?? []).map((c) => [c.containerID, c.restartCount, c.state?.running?.startedAt])),
      ready: podReady(p),
      terminating: !!p.metadata.deletionTimestamp,
    });
  }
  return out;
}

export async function scenarioRestart(f: Fleet): Promise<void> {
  const replicas = Number(env.SCALE_RESTART_REPLICAS ?? f.n);
  const what = `before the hub restart, ${replicas} pods`;
  const { pods, ok } = await rollOut(f, 'scale-restart', replicas, what);
  if (!ok) {
    // the next scenario starts from an empty cluster
    await deleteAndWait(f, 'scale-restart', pods);
    return;
  }
  pods.close();
  const before = await snapshotPods(f, 'scale-restart');
  const reconnectsBefore = f.simTotal().reconnects;
  const ports = { http: Number(new URL(f.info.httpUrl).port), mqtt: Number(new URL(f.info.mqttUrl).port) };
  const killedAt = Date.now();
  const t0 = performance.now();
  f.hub.signal('SIGKILL');
  await f.hub.exited;
  await f.startHub(ports);
  const tUp = (performance.now() - t0) / 1000;
  const nodes = f.api.watch<NodeJson>('/api/v1/nodes');
  const everNotReady = new Set<string>();
  const check = () => {
    for (const n of nodes.items.values()) if (readyCondition(n)?.status !== 'True') everNotReady.add(n.metadata.name);
    if (!f.hubAlive()) throw new Error('hub exited');
    return nodes.items.size >= f.n && readyCount(nodes, killedAt) === f.n;
  };
  let lastLog = 0;
  const back = await waitUntil(() => {
    const e = (performance.now() - t0) / 1000;
    if (e - lastLog >= 10) {
      lastLog = e;
      log(`restart: ${round(e, 0)} s, ${readyCount(nodes, killedAt)} of ${f.n} nodes Ready with a status after the restart; sims connected ${f.simTotal().connected}`);
    }
    return check();
  }, TIMEOUT_MS, 200);
  const tBack = (performance.now() - t0) / 1000;
  nodes.close();
  const cleanup = async () => {
    const remaining = f.api.watch<PodJson>(`/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent('app=scale-restart')}`);
    await sleep(1000);
    await deleteAndWait(f, 'scale-restart', remaining, 'after the restart, the Deployment');
  };
  if (!back) {
    f.notReached('hub restart (SIGKILL): every node back and Ready', `${readyCount(nodes, killedAt)} of ${f.n} nodes sent a status since; ${f.simTotal().connected} connected`);
    await cleanup();
    return;
  }
  await sleep(10_000); // the full pod reports that follow reconnects have been handled
  const after = await snapshotPods(f, 'scale-restart');
  const why = { gone: 0, terminating: 0, notReady: 0, moved: 0, restarted: 0, added: 0 };
  for (const [uid, b] of before) {
    const a = after.get(uid);
    if (!a) why.gone++;
    else if (a.terminating) why.terminating++;
    else if (a.node !== b.node) why.moved++;
    else if (a.containers !== b.containers) why.restarted++;
    else if (!a.ready) why.notReady++;
  }
  for (const uid of after.keys()) if (!before.has(uid)) why.added++;
  const changed = why.gone + why.terminating + why.notReady + why.moved + why.restarted;
  f.record('hub restart (SIGKILL, same data dir): every node back and Ready', round(tBack), 's',
    `from the kill; the hub answered /healthz again at ${round(tUp)} s; ${f.simTotal().reconnects - reconnectsBefore} node reconnects; ${everNotReady.size} nodes seen not Ready meanwhile`);
  f.record('hub restart: pods changed', changed, 'pods',
    `of ${before.size} Running before (uid, node, container id, start time, restart count, Ready); none should` +
      (changed + why.added > 0 ? `: ${why.gone} gone, ${why.terminating} terminating (evicted), ${why.notReady} not Ready, ${why.moved} on another node, ${why.restarted} restarted; ${why.added} new pods` : ''));
  await cleanup();
}
