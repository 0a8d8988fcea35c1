/**
 * Issue 12, finding 3, as a scenario both the test (test/security/stalled-watches.test.ts, asserting)
 * and the benchmark (test/bench/stalled-watches.bench.ts, recording) run: a real `drover hub` process
 * with simulated nodes heartbeating (`drover sim`), view tokens that open watches and never read a
 * byte, and an admin writing ConfigMaps the watches must carry. Sampled all along: the hub's RSS, a
 * GET's latency, the hub's event-loop delay (prom-client's nodejs_eventloop_lag_max_seconds, reset at
 * each scrape) and every simulated node's Ready condition. One reading watch checks that a client
 * that keeps up loses nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { adminToken, api, cleanup, startHub, waitFor, type TestHub } from '../chaos/support.js';
import { DROVER, rssKiB } from '../e2e/support.js';

export interface StalledWatchOptions {
  /** Watches that never read (spread over `tokens` view tokens). */
  watches: number;
  tokens: number;
  /** ConfigMaps present before the watches open (their initial list), and updates written while they are open. */
  objects: number;
  updates: number;
  /** Bytes of data per ConfigMap. */
  objectBytes: number;
  nodes: number;
}

export interface StalledWatchFigures {
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
  watchesOpened: number;
  watchesRefused: number;
  cutOffs: number;
  /** Events the reading watch received of the updates written (should equal `updates`). */
  readerEvents: number;
  getLatencyMs: { p50: number; p99: number; max: number; samples: number };
  /** Largest event-loop delay the hub saw in any scrape interval during the attack. */
  eventLoopLagMaxMs: number;
  /** Nodes seen with Ready other than True during the attack. */
  nodesNotReady: string[];
  writeSeconds: number;
}

const PREFIX = 'stallw-';

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function metricValue(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** A raw HTTPS watch that is never read: what the hub writes piles up in the kernel, then in the hub. */
async function stalledWatch(url: URL, token: string, ca: string): Promise<{ socket: Socket; status: Promise<number> }> {
  const socket = connect({ host: url.hostname, port: Number(url.port), ca });
  await once(socket, 'secureConnect');
  // the status line is the one thing read, then the socket stops reading for good
  const status = new Promise<number>((resolve) => {
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(chunk.toString('latin1'))?.[1] ?? 0));
    });
  });
  socket.on('error', () => socket.destroy());
  socket.write(`GET /api/v1/configmaps?watch=1 HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer ${token}\r\n\r\n`);
  return { socket, status };
}

export async function runStalledWatchScenario(o: StalledWatchOptions, log: (line: string) => void = () => undefined): Promise<StalledWatchFigures> {
  let hub: TestHub | undefined;
  let sim: ChildProcess | undefined;
  const sockets: Socket[] = [];
  try {
    hub = await startHub();
    const h = hub;
    const admin = await adminToken(h);
    const hubPid = h.proc.child.pid!;
    const joinToken = (await h.cli(['token', 'create'])).stdout.trim();
    sim = spawn(
      process.execPath,
      [DROVER, 'sim', '--hub', h.mqttUrl, '--token', joinToken, '--nodes', String(o.nodes), '--name-prefix', PREFIX, '--data-dir', join(h.dir, 'sim')],
      { stdio: ['ignore', 'ignore', 'ignore'], detached: true, env: { ...process.env, ...h.env } },
    );
    const nodeReady = async (): Promise<Map<string, string>> => {
      const r = await api<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>(h, admin, 'GET', '/api/v1/nodes');
      return new Map(
        r.body.items
          .filter((n) => n.metadata.name.startsWith(PREFIX))
          .map((n) => [n.metadata.name, n.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? 'none']),
      );
    };
    await waitFor(`${o.nodes} simulated nodes Ready`, async () => {
      const ready = await nodeReady();
      return ready.size === o.nodes && [...ready.values()].every((s) => s === 'True');
    }, 120_000, 500);
    log(`${o.nodes} nodes Ready`);

    const data = (i: number) => ({ v: `${i}-${'x'.repeat(o.objectBytes)}` });
    for (let i = 0; i < o.objects; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, o.objects - i) }, (_, k) =>
          api(h, admin, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i + k}` }, data: data(0) }),
        ),
      );
    }
    const viewTokens: string[] = [];
    for (let t = 0; t < o.tokens; t++) {
      const r = await api<{ token: string }>(h, admin, 'POST', '/apis/drover.io/v1/apitokens', { role: 'view', description: `stalled-${t}` });
      viewTokens.push(r.body.token);
    }
    const rssBefore = await rssKiB(hubPid);
    log(`${o.objects} ConfigMaps written; hub RSS ${Math.round(rssBefore / 1024)} MiB`);

    // one watch that reads everything: a client that keeps up loses nothing
    const seen = new Set<string>();
    const reader = new AbortController();
    const readerDone = (async () => {
      const res = await h.fetch(`${h.httpUrl}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${(await api<{ metadata: { resourceVersion: string } }>(h, admin, 'GET', '/api/v1/configmaps?limit=1')).body.metadata.resourceVersion}`, {
        headers: { authorization: `Bearer ${admin}` },
        signal: reader.signal,
      });
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body!) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let i: number;
          while ((i = buffer.indexOf('\n')) >= 0) {
            const line = JSON.parse(buffer.slice(0, i)) as { type: string; object: { metadata: { name: string }; data?: { v?: string } } };
            buffer = buffer.slice(i + 1);
            if (line.type === 'MODIFIED') seen.add(`${line.object.metadata.name}@${line.object.data?.v?.split('-')[0]}`);
          }
        }
      } catch (err) {
        if ((err as Error).name !== 'AbortError') throw err;
      }
    })();

    let opened = 0;
    let refused = 0;
    for (let w = 0; w < o.watches; w++) {
      const { socket, status } = await stalledWatch(new URL(h.httpUrl), viewTokens[w % viewTokens.length]!, h.ca);
      sockets.push(socket);
      if ((await status) === 200) opened++;
      else refused++;
    }
    log(`${opened} stalled watches open, ${refused} refused`);

    // Sampling while the admin writes.
    let sampling = true;
    let rssPeak = rssBefore;
    let lagMax = 0;
    const latencies: number[] = [];
    const notReady = new Set<string>();
    const samplers = [
      (async () => {
        while (sampling) {
          rssPeak = Math.max(rssPeak, await rssKiB(hubPid));
          await new Promise((r) => setTimeout(r, 250));
        }
      })(),
      (async () => {
        while (sampling) {
          const started = performance.now();
          await api(h, admin, 'GET', `/api/v1/nodes/${PREFIX}00000`);
          latencies.push(performance.now() - started);
          await new Promise((r) => setTimeout(r, 100));
        }
      })(),
      (async () => {
        while (sampling) {
          const metrics = await api<string>(h, admin, 'GET', '/metrics');
          lagMax = Math.max(lagMax, metricValue(metrics.body, 'nodejs_eventloop_lag_max_seconds') * 1000 || 0);
          for (const [name, status] of await nodeReady()) if (status !== 'True') notReady.add(name);
          await new Promise((r) => setTimeout(r, 1000));
        }
      })(),
    ];
    await api(h, admin, 'GET', '/metrics'); // resets the lag histogram: what follows is the attack's

    const writeStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < o.updates) {
          const i = next++;
          const r = await api(h, admin, 'PUT', `/api/v1/namespaces/default/configmaps/cm-${i % o.objects}`, {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: `cm-${i % o.objects}` },
            data: data(i + 1),
          });
          if (r.status !== 200) throw new Error(`update ${i}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        }
      }),
    );
    const writeSeconds = (performance.now() - writeStarted) / 1000;
    log(`${o.updates} updates written in ${writeSeconds.toFixed(1)} s`);
    await waitFor('the reading watch to see every update', async () => seen.size >= o.updates, 60_000, 200).catch(() => undefined);
    // a few more seconds of heartbeats after the writes
    await new Promise((r) => setTimeout(r, 6000));
    sampling = false;
    await Promise.all(samplers);
    reader.abort();
    await readerDone;

    const metrics = await api<string>(h, admin, 'GET', '/metrics');
    const sorted = [...latencies].sort((a, b) => a - b);
    const figures: StalledWatchFigures = {
      rssBeforeMiB: Math.round(rssBefore / 1024),
      rssPeakMiB: Math.round(rssPeak / 1024),
      rssAfterMiB: Math.round((await rssKiB(hubPid)) / 1024),
      watchesOpened: opened,
      watchesRefused: refused,
      cutOffs: metricValue(metrics.body, 'drover_api_watch_cutoffs_total'),
      readerEvents: seen.size,
      getLatencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, samples: sorted.length },
      eventLoopLagMaxMs: lagMax,
      nodesNotReady: [...notReady],
      writeSeconds,
    };
    log(JSON.stringify(figures));
    return figures;
  } finally {
    for (const s of sockets) s.destroy();
    if (sim?.pid !== undefined && sim.exitCode === null && sim.signalCode === null) {
      const exited = once(sim, 'exit');
      process.kill(-sim.pid, 'SIGTERM');
      await exited;
    }
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  }
}
