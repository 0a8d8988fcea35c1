/**
 * Issue 12, finding 3, measured: a real `drover hub` with 20 simulated nodes heartbeating, 200 watches
 * from 4 view tokens that never read, 300 ConfigMaps of 16 KB listed to each, then 1,500 updates by
 * an admin. Recorded: the hub's RSS, GET latency, its largest event-loop delay (heartbeats are handled
 * on that loop: a delay under their 5 s interval delays none past it), the watchers cut off and
 * whether any node left Ready. Before the fix (issue 12's report): 156 MB -> 4.5 GB, a ~70 s stall,
 * every node Unknown. The scenario is test/security/stalled-watches-scenario.ts.
 */
import { runStalledWatchScenario } from '../security/stalled-watches-scenario.js';
import type { BenchResult } from './run.js';

export async function run(): Promise<BenchResult[]> {
  const f = await runStalledWatchScenario(
    { watches: 200, tokens: 4, objects: 300, updates: 1500, objectBytes: 16_000, nodes: 20 },
    (line) => console.log(`stalled-watches: ${line}`),
  );
  const note = '200 never-reading watches, 20 sim nodes, 1,500 x 16 KB updates';
  return [
    { name: 'hub RSS before the watches', value: f.rssBeforeMiB, unit: 'MiB', note },
    { name: 'hub RSS peak during the attack', value: f.rssPeakMiB, unit: 'MiB', note: 'issue 12 before the fix: 4.5 GB' },
    { name: 'watchers cut off (410 Expired)', value: f.cutOffs, unit: 'watches', note: 'of 200' },
    { name: 'reading watch: updates received', value: f.readerEvents, unit: 'events', note: 'of 1,500' },
    { name: 'GET node p50 during the attack', value: Number(f.getLatencyMs.p50.toFixed(1)), unit: 'ms', note: `${f.getLatencyMs.samples} samples` },
    { name: 'GET node p99 during the attack', value: Number(f.getLatencyMs.p99.toFixed(1)), unit: 'ms' },
    { name: 'hub event-loop delay, max', value: Math.round(f.eventLoopLagMaxMs), unit: 'ms', note: 'heartbeat interval 5,000 ms; before the fix ~70 s' },
    { name: 'nodes that left Ready', value: f.nodesNotReady.length, unit: 'nodes', note: 'of 20' },
    { name: 'admin update throughput with the watches open', value: Math.round(1500 / f.writeSeconds), unit: 'updates/s', note: '8 concurrent PUTs' },
  ];
}
