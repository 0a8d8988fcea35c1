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
 * For 100,000 pods on 10,000 nodes: `SCALE_SCENARIOS=api,deploy SCALE_REPLICAS=100000 npm run bench -- scale 10000`.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ProgressLine } from '../../agent/sim/progress.js';
import { createCaFetch } from '../../hub/cli/tls-fetch.js';
import type { BenchResult } from './run.js';
import {
  childPids,
  cpuPercent,
  createApi,
  loadNote,
  parseProgress,
  percentile,
  procStat,
  readHubInfo,
  round,
  sleep,
  startGroup,
  sumProgress,
  waitUntil,
  type Api,
  type GroupProc,
  type HubInfo,
  type LiveMap,
} from './scale-support.js';

const env = process.env;
const argNodes = process.argv.slice(2).filter((a) => /^\d+(,\d+)*$/.test(a)).flatMap((a) => a.split(','));
const FLEET_SIZES = (argNodes.length > 0 ? argNodes : (env.SCALE_NODES ?? '1000').split(',')).map(Number).filter((n) => n > 0);
const SCENARIOS = new Set((env.SCALE_SCENARIOS ?? 'join,api,deploy,restart,kill').split(',').map((s) => s.trim()));
const PER_PROCESS = Number(env.SCALE_NODES_PER_PROCESS ?? 2500);
const REPLICAS = Number(env.SCALE_REPLICAS ?? 10_000);
const DEPLOY_MIN_NODES = Number(env.SCALE_DEPLOY_MIN_NODES ?? 1000);
const KILL_REPLICAS = Number(env.SCALE_KILL_REPLICAS ?? REPLICAS);
const CPU_WINDOW_MS = Number(env.SCALE_CPU_WINDOW_S ?? 60) * 1000;
const TIMEOUT_MS = Number(env.SCALE_TIMEOUT_S ?? 600) * 1000;
const SIM_ARGS = (env.SCALE_SIM_ARGS ?? '').split(/\s+/).filter(Boolean);
const HEAP_SNAPSHOT = env.SCALE_HEAP_SNAPSHOT === '1';
const CPU_PROFILE = env.SCALE_CPU_PROFILE === '1';
const PREFIX = 'sim-';

interface NodeJson {
  metadata: { name: string };
  spec?: { taints?: { key: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string; lastHeartbeatTime?: string; reason?: string }[] };
}
interface PodJson {
  metadata: { name: string; namespace?: string; uid?: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { containerID?: string; restartCount: number; state?: { running?: { startedAt?: string } } }[];
  };
}

const readyCondition = (n: NodeJson) => n.status?.conditions?.find((c) => c.type === 'Ready');
const podReady = (p: PodJson) => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
const nodeName = (i: number) => `${PREFIX}${String(i).padStart(5, '0')}`;
const log = (text: string) => console.log(`[scale ${new Date().toISOString().slice(11, 19)}] ${text}`);

function deployment(name: string, replicas: number): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'web', image: 'drover.local/busybox:test', resources: { requests: { cpu: '1m', memory: '4Mi' } } }],
        },
      },
    },
  };
}

/** One fleet: a hub and its simulators, torn down at the end of the step. */
class Fleet {
  hub!: GroupProc;
  info!: HubInfo;
  api: Api;
  adminToken = '';
  /** fetch trusting the hub's CA (its API is HTTPS). */
  fetch: typeof fetch = fetch;
  joinToken = '';
  sims: { proc: GroupProc; first: number; count: number; latest?: ProgressLine }[] = [];
  readonly results: BenchResult[] = [];

  constructor(readonly n: number, readonly dir: string) {
    this.api = createApi(() => this.info.httpUrl, () => this.adminToken, () => this.fetch);
  }

  get hubDir(): string {
    return join(this.dir, 'hub');
  }

  record(name: string, value: number, unit: string, note = ''): void {
    const r: BenchResult = { name: `N=${this.n}: ${name}`, value, unit, note: [note, loadNote()].filter(Boolean).join('; ') };
    this.results.push(r);
    log(`${r.name}: ${r.value} ${r.unit} (${r.note})`);
  }

  notReached(name: string, reached: string): void {
    this.record(name, -1, 's', `NOT REACHED within ${TIMEOUT_MS / 1000} s: ${reached}`);
  }

  async startHub(ports?: { http: number; mqtt: number }): Promise<void> {
    const hubArgs = (env.SCALE_HUB_ARGS ?? '').split(/\s+/).filter(Boolean);
    const proc = startGroup(['hub', '--data-dir', this.hubDir, '--http', `127.0.0.1:${ports?.http ?? 0}`, '--mqtt', `127.0.0.1:${ports?.mqtt ?? 0}`, ...hubArgs], {
      env: { DROVER_CONFIG: join(this.dir, 'config.json'), DROVER_LOG_LEVEL: env.DROVER_LOG_LEVEL ?? 'info', NODE_OPTIONS: hubNodeOptions(this.dir), DROVER_CPU_PROFILE_DIR: this.dir },
      logFile: join(this.dir, 'hub.log'),
    });
    this.hub = proc;
    const info = await waitUntil(async () => {
      if (proc.child.exitCode !== null) throw new Error('hub exited');
      const i = await readHubInfo(this.hubDir);
      return i && i.pid === proc.pid ? i : undefined;
    }, 120_000);
    if (!info) throw new Error(`the hub did not start (see ${this.dir}/hub.log)`);
    this.info = info;
    this.adminToken = (await import('node:fs/promises').then((fs) => fs.readFile(join(this.hubDir, 'admin.token'), 'utf8'))).trim();
    const fetchCa = createCaFetch(await readFile(join(this.hubDir, 'pki', 'ca.crt'), 'utf8'));
    this.fetch = fetchCa;
    await waitUntil(async () => (await fetchCa(`${info.httpUrl}/healthz`)).ok, 60_000);
  }

  async createJoinToken(): Promise<void> {
    const r = await this.api.request<{ token: string }>('POST', '/apis/drover.io/v1/jointokens', { ttlSeconds: 7 * 86400, description: 'scale bench' });
    if (r.status !== 201) throw new Error(`join token: HTTP ${r.status}`);
    this.joinToken = r.body.token;
  }

  startSims(): void {
    const processes = 2 * Math.ceil(this.n / (2 * PER_PROCESS));
    const per = Math.ceil(this.n / processes);
    for (let first = 0; first < this.n; first += per) {
      const count = Math.min(per, this.n - first);
      this.startSim(first, count);
    }
  }

  startSim(first: number, count: number): void {
    const slot: Fleet['sims'][number] = { proc: undefined as unknown as GroupProc, first, count };
    slot.proc = startGroup(
      ['sim', '--hub', this.info.mqttUrl, '--token', this.joinToken, '--nodes', String(count), '--start-index', String(first), '--name-prefix', PREFIX,
        '--data-dir', join(this.dir, 'sim'), '--progress-interval', '1000', ...SIM_ARGS],
      {
        logFile: join(this.dir, `sim-${first}.log`),
        onStdoutLine: (line) => {
          const parsed = parseProgress(line);
          if (parsed) slot.latest = parsed;
        },
      },
    );
    const existing = this.sims.findIndex((s) => s.first === first);
    if (existing >= 0) this.sims[existing] = slot;
    else this.sims.push(slot);
  }

  simTotal() {
    return sumProgress(this.sims.map((s) => s.latest));
  }

  async simPids(): Promise<number[]> {
    // `drover sim` is a launcher; the simulator is its child
    return (await Promise.all(this.sims.map(async (s) => (await childPids(s.proc.pid))[0] ?? s.proc.pid)));
  }

  hubAlive(): boolean {
    return this.hub.child.exitCode === null && this.hub.child.signalCode === null;
  }

  async teardown(): Promise<void> {
    await Promise.all(this.sims.map((s) => s.proc.stop(60_000)));
    if (this.hub) await this.hub.stop(60_000);
  }
}

/** Watch nodes; count those Ready (optionally: with a heartbeat at or after `since`). */
function readyCount(nodes: LiveMap<NodeJson>, since?: number): number {
  let n = 0;
  for (const node of nodes.items.values()) {
    const ready = readyCondition(node);
    if (ready?.status !== 'True') continue;
    if (since !== undefined && !(Date.parse(ready.lastHeartbeatTime ?? '') >= since)) continue;
    n++;
  }
  return n;
}

async function scenarioJoin(f: Fleet): Promise<void> {
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

/** What the hub published on the network topics so far (drover_network_publish_bytes_total, by topic). */
async function recordNetworkBytes(f: Fleet, when: string): Promise<void> {
  const text = await (await f.fetch(`${f.info.httpUrl}/metrics`, { headers: { authorization: `Bearer ${f.adminToken}` } })).text();
  const byTopic = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^drover_network_publish_bytes_total\{topic="([a-z]+)"\} ([0-9.e+]+)$/.exec(line);
    if (m) byTopic.set(m[1]!, Number(m[2]));
  }
  if (byTopic.size === 0) return; // a hub without the counter
  const total = [...byTopic.values()].reduce((a, b) => a + b, 0);
  const parts = [...byTopic].map(([k, v]) => `${k} ${round(v / 2 ** 20, 1)} MiB`).join(', ');
  f.record(`hub bytes published on the network topics ${when}`, round(total / 2 ** 20, 1), 'MiB', `drover_network_publish_bytes_total from hub start: ${parts}`);
}

async function metricValue(f: Fleet, name: string): Promise<number | undefined> {
  const text = await (await f.fetch(`${f.info.httpUrl}/metrics`, { headers: { authorization: `Bearer ${f.adminToken}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`drover_hub_${name} `));
  return line ? Number(line.split(' ')[1]) : undefined;
}

async function scenarioIdle(f: Fleet): Promise<void> {
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
async function baselineSimRssKiB(f: Fleet): Promise<number> {
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

async function listPodsPaged(f: Fleet): Promise<{ pageMs: number[]; totalMs: number; items: number; paged: boolean; bytes: number }> {
  const pageMs: number[] = [];
  let cont: string | undefined;
  let items = 0;
  let bytes = 0;
  let paged = false;
  const t0 = performance.now();
  do {
    const r = await f.api.request<{ items: unknown[]; metadata?: { continue?: string } }>('GET', `/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    if (r.status !== 200) throw new Error(`LIST pods: HTTP ${r.status}`);
    pageMs.push(r.ms);
    bytes += r.bytes;
    items += r.body.items.length;
    cont = r.body.metadata?.continue || undefined;
    if (cont) paged = true;
  } while (cont);
  return { pageMs, totalMs: performance.now() - t0, items, paged, bytes };
}

async function measureApi(f: Fleet, label: string, podName?: string): Promise<void> {
  const getNode: number[] = [];
  for (let i = 0; i < 200; i++) {
    const r = await f.api.request('GET', `/api/v1/nodes/${nodeName(i % f.n)}`);
    if (r.status === 200) getNode.push(r.ms);
    await sleep(25);
  }
  f.record(`GET one node p50 (${label})`, round(percentile(getNode, 0.5)), 'ms', `${getNode.length} requests, 25 ms apart`);
  f.record(`GET one node p99 (${label})`, round(percentile(getNode, 0.99)), 'ms');
  if (podName) {
    const getPod: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await f.api.request('GET', `/api/v1/namespaces/default/pods/${podName}`);
      if (r.status === 200) getPod.push(r.ms);
      await sleep(25);
    }
    f.record(`GET one pod p99 (${label})`, round(percentile(getPod, 0.99)), 'ms', `p50 ${round(percentile(getPod, 0.5))} ms`);
  }
  const listNodes: number[] = [];
  let nodesBytes = 0;
  for (let i = 0; i < 20; i++) {
    const r = await f.api.request('GET', '/api/v1/nodes');
    if (r.status === 200) listNodes.push(r.ms);
    nodesBytes = r.bytes;
    await sleep(250);
  }
  f.record(`LIST nodes p99 (${label})`, round(percentile(listNodes, 0.99)), 'ms', `p50 ${round(percentile(listNodes, 0.5))} ms, ${listNodes.length} lists of ${round(nodesBytes / 2 ** 20)} MiB`);
  const pages: number[] = [];
  const totals: number[] = [];
  let last: Awaited<ReturnType<typeof listPodsPaged>> | undefined;
  for (let i = 0; i < 10; i++) {
    last = await listPodsPaged(f);
    pages.push(...last.pageMs);
    totals.push(last.totalMs);
    await sleep(250);
  }
  const how = last?.paged
    ? `limit=500 + continue: ${last.pageMs.length} pages per list`
    : (last?.items ?? 0) <= 500
      ? 'one page (no more than 500 pods)'
      : 'the API does not page (limit ignored): every request returned the whole list';
  f.record(`LIST pods, per request p99 (${label})`, round(percentile(pages, 0.99)), 'ms', `${last?.items ?? 0} pods (${round((last?.bytes ?? 0) / 2 ** 20)} MiB); ${how}; whole list p99 ${round(percentile(totals, 0.99))} ms`);
  f.record(`hub RSS after the API reads (${label})`, Math.round((await procStat(f.hub.pid)).rssKiB / 1024), 'MiB', 'right after the last LIST');
}

/** Where the hub's RSS goes, from its own metrics: the V8 heap (used of allocated) and memory outside it (Buffers). */
async function hubMemoryNote(f: Fleet): Promise<string> {
  const mib = (v: number | undefined) => (v === undefined ? '?' : String(Math.round(v / 2 ** 20)));
  const [used, total, external] = await Promise.all(
    ['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes'].map((m) => metricValue(f, m).catch(() => undefined)),
  );
  return `V8 heap ${mib(used)} MiB used of ${mib(total)} MiB, external ${mib(external)} MiB`;
}

/** NODE_OPTIONS for the hub: SCALE_HUB_NODE_OPTIONS, and the heap-snapshot signal with SCALE_HEAP_SNAPSHOT=1. */
function hubNodeOptions(dir: string): string {
  const opts = [env.SCALE_HUB_NODE_OPTIONS ?? ''];
  if (HEAP_SNAPSHOT) opts.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${dir}`);
  if (CPU_PROFILE) opts.push(`--import=${pathToFileURL(join(import.meta.dirname, 'cpu-profile-hook.mjs')).href}`);
  return opts.filter(Boolean).join(' ');
}

/** With SCALE_HEAP_SNAPSHOT=1: have the hub write a heap snapshot, wait until it is complete, rename it after `label`. */
async function heapSnapshot(f: Fleet, label: string): Promise<void> {
  if (!HEAP_SNAPSHOT) return;
  const { readdir, rename, stat } = await import('node:fs/promises');
  const before = new Set(await readdir(f.dir));
  process.kill(f.hub.pid, 'SIGUSR2');
  const t0 = performance.now();
  // the file appears at once and grows while V8 writes it; done when its size holds still for 3 s
  let last = -1;
  let still = 0;
  const file = await waitUntil(async () => {
    const name = (await readdir(f.dir)).find((n) => n.endsWith('.heapsnapshot') && !before.has(n));
    if (!name) return undefined;
    const size = (await stat(join(f.dir, name))).size;
    still = size === last && size > 0 ? still + 1 : 0;
    last = size;
    return still >= 3 ? name : undefined;
  }, TIMEOUT_MS, 1000);
  if (!file) return f.notReached(`heap snapshot (${label})`, `${last} bytes written`);
  const target = join(f.dir, `hub-${label}.heapsnapshot`);
  await rename(join(f.dir, file), target);
  f.record(`heap snapshot (${label})`, round(last / 2 ** 20), 'MiB', `${target}, written in ${round((performance.now() - t0) / 1000)} s`);
}

/** Apply a Deployment and wait until all its pods are bound and then Running and Ready. */
async function rollOut(f: Fleet, name: string, replicas: number, what: string): Promise<{ pods: LiveMap<PodJson>; ok: boolean }> {
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

async function deleteAndWait(f: Fleet, name: string, pods: LiveMap<PodJson>, what?: string): Promise<void> {
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

async function scenarioDeploy(f: Fleet, api: boolean): Promise<void> {
  const what = `Deployment of ${REPLICAS} on ${f.n} nodes`;
  const { pods, ok } = await rollOut(f, 'scale-deploy', REPLICAS, what);
  await sleep(10_000); // let the rollout's status writes settle
  f.record(`hub RSS with ${REPLICAS} pods`, Math.round((await procStat(f.hub.pid)).rssKiB / 1024), 'MiB',
    `${ok ? 'all' : 'not all'} Running, 10 s after the rollout, every node heartbeating; ${await hubMemoryNote(f)}`);
  if (ok) await heapSnapshot(f, `${REPLICAS}-pods`);
  if (api) await measureApi(f, ok ? `${REPLICAS} pods Running` : `${REPLICAS} pods, not all Running`, [...pods.items.values()][0]?.metadata.name);
  await deleteAndWait(f, 'scale-deploy', pods, ok ? what : `${what} (not all Running)`);
}

interface PodSnapshot {
  node?: string;
  containers: string;
  ready: boolean;
  terminating: boolean;
}

async function snapshotPods(f: Fleet, name: string): Promise<Map<string, PodSnapshot>> {
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

async function scenarioRestart(f: Fleet): Promise<void> {
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

async function scenarioKill(f: Fleet): Promise<void> {
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
