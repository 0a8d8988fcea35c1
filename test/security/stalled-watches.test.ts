/**
 * Issue 12, finding 3. Attack: read-only tokens open 200 watches on ConfigMaps and never read, while
 * an admin writes. Before: the hub went from 156 MB to 4.5 GB, its event loop stalled about 70 s, and
 * every node went Unknown and was tainted. Expected (as kube-apiserver): each slow watcher is cut off
 * with a 410 so client-go re-lists, the server's memory stays bounded, and nothing else waits.
 * Observed: below, with the figures printed as CHAOS-FIGURE lines.
 */
import { describe, expect, it } from 'vitest';
import { figure } from '../chaos/support.js';
import { runStalledWatchScenario, type StalledWatchFigures } from './stalled-watches-scenario.js';

const WATCHES = 200;
const UPDATES = 1500;

describe('200 stalled watches (a real drover hub process, drover sim nodes heartbeating)', () => {
  it('cuts every stalled watcher off, keeps the hub small, loses nothing for a reading client, and no node goes NotReady', async () => {
    const f: StalledWatchFigures = await runStalledWatchScenario(
      { watches: WATCHES, tokens: 4, objects: 300, updates: UPDATES, objectBytes: 16_000, nodes: 20 },
      (line) => process.stdout.write(`stalled-watches: ${line}\n`),
    );
    figure('stalled watches: hub RSS before / peak / after', `${f.rssBeforeMiB} / ${f.rssPeakMiB} / ${f.rssAfterMiB}`, 'MiB');
    figure('stalled watches: GET node p50 / p99 / max', `${f.getLatencyMs.p50.toFixed(1)} / ${f.getLatencyMs.p99.toFixed(1)} / ${f.getLatencyMs.max.toFixed(1)}`, 'ms');
    figure('stalled watches: hub event-loop delay max', f.eventLoopLagMaxMs.toFixed(0), 'ms');
    figure('stalled watches: cut off', f.cutOffs);

    expect(f.watchesOpened).toBe(WATCHES);
    // every watcher that never read fell behind and was cut off
    expect(f.cutOffs).toBeGreaterThanOrEqual(WATCHES);
    // the client that reads got every update
    expect(f.readerEvents).toBe(UPDATES);
    // 200 x (1 MiB allowed behind + a socket's buffers) is the most the watchers may hold, 4 GB before
    expect(f.rssPeakMiB - f.rssBeforeMiB).toBeLessThan(400);
    // heartbeats kept every node Ready throughout
    expect(f.nodesNotReady).toEqual([]);
  }, 600_000);
});
