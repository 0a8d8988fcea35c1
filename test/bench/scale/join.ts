/** Scenario join: N nodes joined and Ready; then the idle hub's and simulators' CPU and memory. */
import { join } from 'node:path';
import { childPids, cpuPercent, procStat, round, sleep, startGroup, waitUntil } from '../scale-support.js';
import { CPU_WINDOW_MS, TIMEOUT_MS, log } from './config.js';
import { type NodeJson, readyCount } from './objects.js';
import type { Fleet } from './fleet.js';
import { recordNetworkBytes, metricValue, hubMemoryNote } from './hub-metrics.js';
import { heapSnapshot } from './profiles.js';

export async function scenarioJoin(f: Fleet): Promise<void> {
  const nodes = f.api.watch<NodeJson>('/api/v1/nodes');
  const t0 = performance.now();
  f.startSims();
  const marks = new Map<string, number>();
  const at = (fraction: number) => Math.ceil(f.n * fraction);
  let lastLog = 0;
  const done = await waitUntil(() => {
    const ready = readyCount(nodes);
    const elapsed = (performance.now() - t0) / 1000;
    for (const [label, count] of [['50%', at(0.5)], ['90%', at(0.9)], ['100%', f.n]] as const) {
      if (!marks.has(label) && ready >= count) marks.set(label, elapsed);
    }
    const total = f.simTotal();
    if (!marks.has('joined') && total.joined === f.n) marks.set('joined', elapsed);
    if (!marks.has('connected') && total.everConnected === f.n) marks.set('connected', elapsed);
    if (elapsed - lastLog >= 10) {
      lastLog = elapsed;
      log(`join: ${round(elapsed, 0)} s, joined ${total.joined}, connected ${total.connected}, Ready ${ready} of ${f.n}, join failures ${total.joinFailures}`);
    }
    if (!f.hubAlive()) throw new Error('hub exited');
    return ready === f.n && marks.has('connected');
  }, TIMEOUT_MS, 200);
  const total = f.simTotal();
  nodes.close();
  if (!done) {
    f.notReached(`${f.n} nodes joined and Ready`, `${readyCount(nodes)} Ready, ${total.joined} joined, ${total.connected} connected, ${total.joinFailures} failed join attempts${f.hubAlive() ? '' : '; the hub exited'}`);
    if (f.hubAlive()) await recordNetworkBytes(f, `until the join timed out (${readyCount(nodes)} Ready)`);
    return;
  }
  f.record(`${f.n} nodes joined and Ready (watched through the API)`, round(marks.get('100%')!), 's', `50% Ready at ${round(marks.get('50%')!)} s, 90% at ${round(marks.get('90%')!)} s; all joined (credentials) at ${round(marks.get('joined') ?? NaN)} s; ${total.joinFailures} failed join attempts (retried); ${f.sims.length} simulator processes`);
  await recordNetworkBytes(f, 'during the join');
}

export async function scenarioIdle(f: Fleet): Promise<void> {
  await sleep(10_000); // let the join settle
  const reconnectsBefore = f.simTotal().reconnects;
  await metricValue(f, 'nodejs_eventloop_lag_p99_seconds'); // resets the lag histogram
  const simPids = await f.simPids();
  const pids = [f.hub.pid, ...simPids];
  const cpu = await cpuPercent(pids, CPU_WINDOW_MS);
  const lagP99 = await metricValue(f, 'nodejs_eventloop_lag_p99_seconds');
  const hub = await procStat(f.hub.pid);
  const sims = await Promise.all(simPids.map(procStat));
  const simRssMib = sims.reduce((s, p) => s + p.rssKiB, 0) / 1024;
  const simCpu = cpu.slice(1).reduce((a, b) => a + b, 0);
  const reconnects = f.simTotal().reconnects - reconnectsBefore;
  const connected = f.simTotal().connected;
  const window = `over ${CPU_WINDOW_MS / 1000} s, ${connected === f.n ? 'every node' : `${connected} of ${f.n} nodes connected (the others still joining),`} heartbeating every 5 s`;
  f.record('hub CPU idle', round(cpu[0]!), '% of a core', `${window}; event loop lag p99 ${round((lagP99 ?? NaN) * 1000)} ms; ${reconnects} node reconnects in the window`);
  f.record('hub RSS idle', Math.round(hub.rssKiB / 1024), 'MiB', `${f.n} nodes, 0 pods; ${await hubMemoryNote(f)}`);
  await heapSnapshot(f, 'idle');
  f.record('simulators CPU idle', round(simCpu), '% of a core', `${simPids.length} processes together, ${window}`);
  const base = await baselineSimRssKiB(f);
  const perNode = (simRssMib * 1024 - base * simPids.length) / f.n;
  f.record('simulator RSS per node', round(perNode, 0), 'KiB',
    `(RSS of the ${simPids.length} processes, ${round(simRssMib, 0)} MiB, minus ${round(base / 1024, 0)} MiB each for a simulator process of one node that never connects) / ${f.n}`);
}

/** RSS of a simulator process with everything loaded but no fleet: one node, a hub that is not there. */
export async function baselineSimRssKiB(f: Fleet): Promise<number> {
  const proc = startGroup(['sim', '--hub', 'mqtt://127.0.0.1:9', '--token', 'none', '--nodes', '1', '--name-prefix', 'baseline-', '--data-dir', join(f.dir, 'baseline'),
    '--progress-interval', '0'], { logFile: join(f.dir, 'baseline.log') });
  try {
    await sleep(10_000);
    const pid = (await childPids(proc.pid))[0] ?? proc.pid;
    return (await procStat(pid)).rssKiB;
  } finally {
    await proc.stop(5000);
  }
}
