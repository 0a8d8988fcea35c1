/**
 * What per-pod metrics cost: the agent's cgroup read of one running container (a real Docker
 * container, through the adapter's cgroupPaths), and the hub's parse and validation of a heartbeat
 * without and with a 10-pod usage sample. Run with `node --import tsx test/bench/pod-usage.bench.ts`
 * or through `npm run bench`.
 */
import { execa } from 'execa';
import { pathToFileURL } from 'node:url';
import { nodeHeartbeatMessageSchema } from '../../protocol/messages.js';
import { silentLogger } from '../../protocol/logger.js';
import { cgroupLayout, readCgroupUsage } from '../../runtime-adapters/cgroup-usage.js';
import { createRuntime } from '../../runtime-adapters/index.js';
import type { BenchResult } from './run.js';

function cpuMicros(n: number, fn: () => unknown): number {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

async function cgroupRead(): Promise<BenchResult> {
  const runtime = await createRuntime('docker', { logger: silentLogger() });
  const { stdout } = await execa('docker', ['run', '-d', '--label', 'drover.bench=pod-usage', 'drover.local/busybox:test', 'sleep', '120']);
  const id = stdout.trim();
  try {
    const layout = await cgroupLayout();
    const paths = runtime.cgroupPaths!(id);
    const n = 5000;
    for (let i = 0; i < 500; i++) await readCgroupUsage(paths, { layout });
    const start = process.cpuUsage();
    for (let i = 0; i < n; i++) await readCgroupUsage(paths, { layout });
    const used = process.cpuUsage(start);
    return { name: 'cgroup read of one container', value: Math.round((used.user + used.system) / n), unit: 'µs CPU', note: `cgroup ${layout}, Docker, ${n} reads` };
  } finally {
    await execa('docker', ['rm', '-f', id], { reject: false });
  }
}

function heartbeatParse(pods: number): BenchResult {
  const now = new Date().toISOString();
  const base = { v: 1, type: 'heartbeat', sentAt: now, usage: { cpuPercent: 12.5, memoryUsedBytes: 123456789, timestamp: now } };
  const entries = Array.from({ length: pods }, (_, i) => ({
    namespace: 'default',
    name: `web-6b6cdb497f-h0c${i}`,
    uid: `3a6ded74-1111-2222-3333-4444555566${String(i).padStart(2, '0')}`,
    containers: [{ name: 'web', cpuNanoCores: 12345678, memoryBytes: 12345678 }],
  }));
  const text = JSON.stringify(pods === 0 ? base : { ...base, podUsage: { timestamp: now, windowSeconds: 15, pods: entries } });
  cpuMicros(2000, () => nodeHeartbeatMessageSchema.parse(JSON.parse(text)));
  const us = cpuMicros(20_000, () => nodeHeartbeatMessageSchema.parse(JSON.parse(text)));
  return { name: `heartbeat parse + validate, ${pods} pods`, value: Number(us.toFixed(1)), unit: 'µs CPU', note: `${text.length} bytes` };
}

export async function run(): Promise<BenchResult[]> {
  return [await cgroupRead(), heartbeatParse(0), heartbeatParse(10)];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(`${r.name}: ${r.value} ${r.unit} (${r.note})`);
}
