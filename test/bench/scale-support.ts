/**
 * What the scale benchmark (scale.bench.ts) needs around real processes: a `drover hub` and `drover sim`
 * processes, each in its own process group with the open-file limit raised to the hard limit; the hub's
 * HTTP API with the admin token (requests, latency samples, watches kept as live maps); CPU and RSS from
 * /proc; the simulators' progress lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseProgress, type ProgressLine } from '../../agent/sim/progress.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DROVER = join(ROOT, 'dist/hub/cli/main.js');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
export const loadNote = () => `load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;

export function percentile(samples: number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** A process in its own group, its output to a file (or collected, for progress lines). */
export interface GroupProc {
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  /** Signal the whole group (the `drover sim` launcher and the simulator, or the hub). */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM the group, SIGKILL after `graceMs`; resolves when the leader exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Start `drover ARGS` in its own process group, with ulimit -n at the hard limit. */
export function startGroup(args: string[], opts: { env?: NodeJS.ProcessEnv; logFile: string; onStdoutLine?: (line: string) => void }): GroupProc {
  const log = openSync(opts.logFile, 'a');
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'bash', process.execPath, DROVER, ...args], {
    detached: true,
    stdio: ['ignore', opts.onStdoutLine ? 'pipe' : log, log],
    env: { ...process.env, ...opts.env },
  });
  closeSync(log);
  if (opts.onStdoutLine) {
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) opts.onStdoutLine!(line);
    });
  }
  const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : null))));
  const pid = child.pid!;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // the group is gone already
    }
  };
  return {
    child,
    pid,
    exited,
    signal,
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      signal('SIGKILL'); // whatever of the group is left
    },
  };
}

export interface ProcStat {
  /** utime + stime, in clock ticks (100 a second). */
  ticks: number;
  rssKiB: number;
}

export async function procStat(pid: number): Promise<ProcStat> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return { ticks: Number(fields[11]) + Number(fields[12]), rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) };
}

export async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** CPU of each pid over `ms`, in % of one core. */
export async function cpuPercent(pids: number[], ms: number): Promise<number[]> {
  const before = await Promise.all(pids.map(procStat));
  await sleep(ms);
  const after = await Promise.all(pids.map(procStat));
  return pids.map((_, i) => ((after[i]!.ticks - before[i]!.ticks) / 100 / (ms / 1000)) * 100);
}

export interface HubInfo {
  httpUrl: string;
  mqttUrl: string;
  pid: number;
}

export async function readHubInfo(dataDir: string): Promise<HubInfo | undefined> {
  const text = await readFile(join(dataDir, 'hub.json'), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as HubInfo) : undefined;
}

export interface Api {
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; ms: number; bytes: number }>;
  /** Keep the objects of a list path as a live map (key ns/name), through ?watch=1; re-watches when the stream ends. */
  watch<T extends WatchedObject>(path: string, onChange?: (type: string, obj: T) => void): LiveMap<T>;
}

export interface WatchedObject {
  metadata: { name: string; namespace?: string; uid?: string; deletionTimestamp?: string };
}

export interface LiveMap<T> {
  readonly items: Map<string, T>;
  /** Times the stream had to be opened again (hub restart, cut off as too slow). */
  restarts(): number;
  close(): void;
}

/** `fetchImpl`: the hub's API is HTTPS with its own CA (createCaFetch). */
export function createApi(baseUrl: () => string, token: () => string, fetchImpl: () => typeof fetch = () => fetch): Api {
  const request: Api['request'] = async (method, path, body) => {
    const t0 = performance.now();
    const res = await fetchImpl()(`${baseUrl()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      signal: AbortSignal.timeout(300_000),
    });
    const text = await res.text();
    const ms = performance.now() - t0;
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as never, ms, bytes: text.length };
  };

  const watch: Api['watch'] = <T extends WatchedObject>(path: string, onChange?: (type: string, obj: T) => void) => {
    const items = new Map<string, T>();
    let closed = false;
    let restarts = -1;
    let controller: AbortController | undefined;
    const loop = async () => {
      while (!closed) {
        restarts++;
        controller = new AbortController();
        try {
          const res = await fetchImpl()(`${baseUrl()}${path}${path.includes('?') ? '&' : '?'}watch=1`, {
            headers: { authorization: `Bearer ${token()}` },
            signal: controller.signal,
          });
          if (!res.ok || !res.body) throw new Error(`watch ${path}: HTTP ${res.status}`);
          items.clear(); // a fresh watch starts with every object as ADDED
          const decoder = new TextDecoder();
          let buffered = '';
          for await (const chunk of res.body) {
            buffered += decoder.decode(chunk as Uint8Array, { stream: true });
            let nl: number;
            while ((nl = buffered.indexOf('\n')) >= 0) {
              const line = buffered.slice(0, nl);
              buffered = buffered.slice(nl + 1);
              if (!line) continue;
              const event = JSON.parse(line) as { type: string; object: T };
              if (event.type === 'ERROR') throw new Error(`watch ${path}: ${JSON.stringify(event.object)}`);
              const key = `${event.object.metadata.namespace ?? ''}/${event.object.metadata.name}`;
              if (event.type === 'DELETED') items.delete(key);
              else items.set(key, event.object);
              onChange?.(event.type, event.object);
            }
          }
        } catch {
          // hub gone or stream cut: watch again
        }
        if (!closed) await sleep(500);
      }
    };
    void loop();
    return {
      items,
      restarts: () => Math.max(0, restarts),
      close() {
        closed = true;
        controller?.abort();
      },
    };
  };
  return { request, watch };
}

/** Wait for `fn` to return a value, checking every `intervalMs`; undefined at the deadline (never throws). */
export async function waitUntil<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, intervalMs = 250): Promise<T | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch {
      // try again
    }
    await sleep(intervalMs);
  }
  return undefined;
}

/** The simulator processes of one fleet: their latest progress lines, summed. */
export interface SimGroup {
  procs: { proc: GroupProc; first: number; count: number; latest?: ProgressLine }[];
  total(): Omit<ProgressLine, 'kind' | 't'>;
}

export function sumProgress(lines: (ProgressLine | undefined)[]): Omit<ProgressLine, 'kind' | 't'> {
  const sum = { nodes: 0, joined: 0, connected: 0, everConnected: 0, reconnects: 0, joinFailures: 0, pods: 0, pending: 0, running: 0, stopping: 0, rssMib: 0 };
  for (const l of lines) {
    if (!l) continue;
    for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += l[k];
  }
  return sum;
}

export { parseProgress };
