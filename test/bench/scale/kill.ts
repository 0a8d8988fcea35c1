/** Scenario kill: kill -9 of the simulators holding half the fleet; their pods Running elsewhere. */
import { round, waitUntil } from '../scale-support.js';
import { KILL_REPLICAS, TIMEOUT_MS, log } from './config.js';
import { type NodeJson, readyCondition, podReady, nodeName } from './objects.js';
import type { Fleet } from './fleet.js';
import { rollOut, deleteAndWait } from './deploy.js';

export async function scenarioKill(f: Fleet): Promise<void> {
  const what = `before the kill, ${KILL_REPLICAS} pods`;
  const { pods, ok } = await rollOut(f, 'scale-kill', KILL_REPLICAS, what);
  if (!ok) {
    await deleteAndWait(f, 'scale-kill', pods);
    return;
  }
  const victims = f.sims.slice(0, f.sims.length / 2);
  const victimNodes = new Set(victims.flatMap((s) => Array.from({ length: s.count }, (_, i) => nodeName(s.first + i))));
  const onVictims = [...pods.items.values()].filter((p) => p.spec.nodeName && victimNodes.has(p.spec.nodeName)).length;
  const nodes = f.api.watch<NodeJson>('/api/v1/nodes');
  await waitUntil(() => nodes.items.size >= f.n, 60_000);
  const t0 = performance.now();
  for (const v of victims) v.proc.signal('SIGKILL');
  let tNotReady: number | undefined;
  let lastLog = 0;
  const replaced = await waitUntil(() => {
    const e = (performance.now() - t0) / 1000;
    if (tNotReady === undefined) {
      const down = [...victimNodes].every((n) => { const node = nodes.items.get(`/${n}`); return node && readyCondition(node)?.status !== 'True'; });
      if (down) tNotReady = e;
    }
    let good = 0;
    for (const p of pods.items.values()) if (!p.metadata.deletionTimestamp && podReady(p) && p.spec.nodeName && !victimNodes.has(p.spec.nodeName)) good++;
    if (e - lastLog >= 10) {
      lastLog = e;
      const tainted = [...victimNodes].filter((n) => nodes.items.get(`/${n}`)?.spec?.taints?.some((t) => t.effect === 'NoExecute')).length;
      const terminating = [...pods.items.values()].filter((p) => p.metadata.deletionTimestamp).length;
      log(`kill: ${round(e, 0)} s, ${good} of ${KILL_REPLICAS} pods Running on surviving nodes; victims all NotReady: ${tNotReady !== undefined}, ${tainted} of them tainted NoExecute; ${terminating} pods terminating (evicted), ${pods.items.size} pods in all`);
    }
    if (!f.hubAlive()) throw new Error('hub exited');
    return good >= KILL_REPLICAS;
  }, TIMEOUT_MS, 200);
  const t = (performance.now() - t0) / 1000;
  const label = `kill -9 of the simulators holding ${victimNodes.size} of ${f.n} nodes`;
  if (tNotReady !== undefined) f.record(`${label}: all of them NotReady`, round(tNotReady), 's', 'last wills (the sockets closed with the processes)');
  else f.notReached(`${label}: all of them NotReady`, 'some still Ready');
  if (replaced) {
    const terminating = [...pods.items.values()].filter((p) => p.metadata.deletionTimestamp).length;
    f.record(`${label}: their ${onVictims} pods Running elsewhere`, round(t), 's', `eviction grace 30 s (default); ${terminating} evicted pods stay Terminating (their nodes are gone)`);
  } else {
    f.notReached(`${label}: their ${onVictims} pods Running elsewhere`, 'not all replaced');
  }
  nodes.close();
  pods.close();
}
