/**
 * The simulator's progress lines on stdout, for people and for machines (the scale benchmark and the
 * e2e test parse them): one line per report, a word saying what it is, then key=value pairs.
 *
 *   sim-progress t=12.3 nodes=2500 joined=2500 connected=2498 ever-connected=2500 reconnects=0 join-failures=0 pods=1000 pending=3 running=997 stopping=0 rss-mib=251
 *   sim-up t=40.1 ...      (once: every node connected at least once)
 *   sim-stopped t=90.0 ... (after a clean stop)
 */
import type { SimFleetStats } from './fleet.js';

export type ProgressKind = 'sim-progress' | 'sim-up' | 'sim-stopped';

export interface ProgressLine extends SimFleetStats {
  kind: ProgressKind;
  /** Seconds since the simulator started. */
  t: number;
  rssMib: number;
}

const FIELDS: [keyof Omit<ProgressLine, 'kind'>, string][] = [
  ['t', 't'],
  ['nodes', 'nodes'],
  ['joined', 'joined'],
  ['connected', 'connected'],
  ['everConnected', 'ever-connected'],
  ['reconnects', 'reconnects'],
  ['joinFailures', 'join-failures'],
  ['pods', 'pods'],
  ['pending', 'pending'],
  ['running', 'running'],
  ['stopping', 'stopping'],
  ['rssMib', 'rss-mib'],
];

export function formatProgress(line: ProgressLine): string {
  return [line.kind, ...FIELDS.map(([key, name]) => `${name}=${line[key]}`)].join(' ');
}

/** The line parsed, or undefined when it is not a progress line. */
export function parseProgress(text: string): ProgressLine | undefined {
  const [kind, ...pairs] = text.trim().split(/\s+/);
  if (kind !== 'sim-progress' && kind !== 'sim-up' && kind !== 'sim-stopped') return undefined;
  const values = new Map(pairs.map((p) => p.split('=', 2) as [string, string]));
  const line = { kind } as ProgressLine;
  for (const [key, name] of FIELDS) {
    const value = Number(values.get(name));
    if (!Number.isFinite(value)) return undefined;
    (line as unknown as Record<string, number>)[key] = value;
  }
  return line;
}
