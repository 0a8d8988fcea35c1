/**
 * One hub at fleet scale (issue 10): a real `drover hub` process and `drover sim` processes (the fleet
 * simulator, agent/sim: every node its own MQTT connection speaking the agent's protocol), each process in
 * its own process group with the open-file limit raised. For each fleet size N, on a fresh hub:
 *
 * - join:    time until N nodes joined and Ready (watched through the API); hub CPU (% of a core, from
 *            /proc over SCALE_CPU_WINDOW_S, default 60 s) and RSS idle with every node heartbeating at the
 *            default 5 s; the simulators' CPU and RSS (per node).
 * - api:     while heartbeating: GET one object p50/p99, LIST nodes p50/p99, LIST pods paged (limit=500 +
 *            continue) p99, with 0 pods and again with the deploy scenario's pods Running.
 * - deploy:  (N >= SCALE_DEPLOY_MIN_NODES, default 1000) a Deployment of SCALE_REPLICAS (10,000): time until
 *            all bound, all Running and Ready in the API (and as the simulators count them), deleted and gone.
 * - restart: a Deployment of SCALE_RESTART_REPLICAS (default N) Running; the hub killed (SIGKILL) and
 *            started again on the same data dir and ports: time until every node is back Ready (a status
 *            after the restart), and how many pods changed (none should).
 * - kill:    (N >= SCALE_DEPLOY_MIN_NODES) a Deployment of SCALE_KILL_REPLICAS (default SCALE_REPLICAS)
 *            Running; kill -9 of the simulator processes holding half the nodes: time until those nodes are
 *            NotReady, and until the Deployment's pods all run elsewhere (eviction grace 30 s by default).
 *
 * N from the command line (`npm run bench -- scale 1000,3000`) or SCALE_NODES=1000,3000,10000 (default
 * 1000); SCALE_SCENARIOS=join,api,deploy,restart,kill picks scenarios (the fleet is always brought up;
 * kill runs last as it takes half the fleet down). SCALE_NODES_PER_PROCESS (2500) nodes per simulator
 * process (at least two processes, an even number, so half the fleet can be killed). SCALE_TIMEOUT_S (600)
 * bounds each wait; a wait that runs out is recorded as -1 with what was reached. SCALE_SIM_ARGS adds
 * options to every `drover sim`. SCALE_HUB_ARGS adds options to the hub (e.g. `--cluster-cidr 10.64.0.0/10`, so
 * that more than 256 nodes get a pod CIDR and every node is an overlay peer of every other). SCALE_KEEP=1 keeps the data and logs (under $TMPDIR/drover-scale-*).
 * SCALE_HUB_NODE_OPTIONS sets NODE_OPTIONS for the hub process only (e.g. `--max-old-space-size=2048`).
 * SCALE_HEAP_SNAPSHOT=1 starts the hub with `--heapsnapshot-signal=SIGUSR2` and writes a V8 heap snapshot of it
 * (into the run's directory, kept) when idle after the join and with the deploy scenario's pods Running; open
 * them in Chrome DevTools (Memory) or compare their sizes: (with pods - idle) / pods is the per-pod cost.
 * The hub's RSS is recorded with the deploy's pods Running (settled) and after the API measurements on them.
 * SCALE_CPU_PROFILE=1 preloads test/bench/cpu-profile-hook.mjs into the hub and writes two CPU profiles of each rollout
 * into the run's directory (kept): hub-1.cpuprofile from the create until all pods are bound, hub-2 from then until all
 * are Running and Ready (`node --import tsx test/bench/cpu-profile-summary.ts FILE` prints the hot functions).
 * The scenarios are modules under test/bench/scale/ (one each; fleet.ts the processes, config.ts the knobs).
 * For 100,000 pods on 10,000 nodes: `SCALE_SCENARIOS=api,deploy SCALE_REPLICAS=100000 npm run bench -- scale 10000`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './run.js';
import { env, FLEET_SIZES, SCENARIOS, DEPLOY_MIN_NODES, HEAP_SNAPSHOT, CPU_PROFILE, log } from './scale/config.js';
import { Fleet } from './scale/fleet.js';
import { scenarioJoin, scenarioIdle } from './scale/join.js';
import { measureApi } from './scale/api.js';
import { scenarioDeploy } from './scale/deploy.js';
import { scenarioRestart } from './scale/restart.js';
import { scenarioKill } from './scale/kill.js';

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const n of FLEET_SIZES) {
    const dir = await mkdtemp(join(tmpdir(), `drover-scale-${n}-`));
    const f = new Fleet(n, dir);
    log(`N=${n}: data and logs in ${dir}; scenarios ${[...SCENARIOS].join(',')}`);
    try {
      await f.startHub();
      await f.createJoinToken();
      await scenarioJoin(f);
      if (SCENARIOS.has('join')) await scenarioIdle(f);
      if (SCENARIOS.has('api')) await measureApi(f, 'no pods');
      const bigEnough = n >= DEPLOY_MIN_NODES;
      if (SCENARIOS.has('deploy') && bigEnough) await scenarioDeploy(f, SCENARIOS.has('api'));
      if (SCENARIOS.has('restart')) await scenarioRestart(f);
      if (SCENARIOS.has('kill') && bigEnough) await scenarioKill(f);
      if (!bigEnough && (SCENARIOS.has('deploy') || SCENARIOS.has('kill'))) log(`N=${n}: deploy and kill skipped (N < SCALE_DEPLOY_MIN_NODES=${DEPLOY_MIN_NODES})`);
    } catch (err) {
      f.record('step aborted', -1, '', `${(err as Error).message}${f.hub && !f.hubAlive() ? `; the hub exited (code ${f.hub.child.exitCode ?? f.hub.child.signalCode})` : ''}; see ${dir}`);
    } finally {
      await f.teardown().catch((err: unknown) => log(`teardown: ${(err as Error).message}`));
      results.push(...f.results);
      if (env.SCALE_KEEP !== '1' && !HEAP_SNAPSHOT && !CPU_PROFILE) await rm(dir, { recursive: true, force: true });
    }
  }
  return results;
}
