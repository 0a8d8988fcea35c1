/** One fleet of the scale bench: a `drover hub` and its `drover sim` processes, and the results recorded on it. */
import { createCaFetch } from '../../../hub/cli/tls-fetch.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProgressLine } from '../../../agent/sim/progress.js';
import type { BenchResult } from '../run.js';
import { childPids, createApi, loadNote, parseProgress, readHubInfo, startGroup, sumProgress, waitUntil, type Api, type GroupProc, type HubInfo } from '../scale-support.js';
import { env, PER_PROCESS, TIMEOUT_MS, PREFIX, SIM_ARGS, log } from './config.js';
import { hubNodeOptions } from './profiles.js';

/** One fleet: a hub and its simulators, torn down at the end of the step. */
export class Fleet {
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
