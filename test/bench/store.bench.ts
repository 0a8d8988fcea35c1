/**
 * The Store on SQLite and on etcd, measured the same way in one run (issue #16): creates then updates of small
 * ConfigMaps, one at a time (latency) and with 32 in flight (throughput), through the Store interface the hub uses.
 * etcd is Debian's etcd-server, one member on loopback with its data in /tmp (test/hub/store/etcd-server.ts), so
 * each write is a raft commit with an fsync; SQLite is WAL with synchronous=FULL and group commit.
 * Knobs: STORE_BENCH_WRITES (default 2000).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createEtcdStore } from '../../hub/store/etcd-store.js';
import { createSqliteStore } from '../../hub/store/sqlite-store.js';
import type { Store, StoredObject } from '../../hub/store/store.js';
import { silentLogger } from '../../protocol/logger.js';
import { startEtcd } from '../hub/store/etcd-server.js';
import { tempDir } from '../hub/store/helpers.js';
import type { BenchResult } from './run.js';

const WRITES = Number(process.env.STORE_BENCH_WRITES ?? 2000);
const IN_FLIGHT = 32;

const configMap = (name: string, n: number): StoredObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { n: String(n), pad: 'x'.repeat(200) } }) as StoredObject;

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

interface Figures {
  serialPerSecond: number;
  p50: number;
  p99: number;
  concurrentPerSecond: number;
}

async function measure(store: Store): Promise<Figures> {
  const latencies: number[] = [];
  const serial = Math.min(WRITES, 500);
  let t0 = performance.now();
  for (let i = 0; i < serial; i++) {
    const start = performance.now();
    await store.create(configMap(`s-${i}`, i));
    latencies.push(performance.now() - start);
  }
  const serialPerSecond = serial / ((performance.now() - t0) / 1000);
  latencies.sort((a, b) => a - b);
  let next = 0;
  t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = next++; i < WRITES; i = next++) {
        const created = await store.create(configMap(`c-${i}`, i));
        await store.update({ ...created, data: { n: String(i + 1) } } as StoredObject);
      }
    }),
  );
  const concurrentPerSecond = (WRITES * 2) / ((performance.now() - t0) / 1000);
  return { serialPerSecond, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), concurrentPerSecond };
}

export async function run(): Promise<BenchResult[]> {
  const { dir, cleanup } = await tempDir('drover-store-bench-');
  const etcd = await startEtcd();
  try {
    const sqlite = await createSqliteStore({ path: join(dir, 'state.db'), logger: silentLogger() });
    const s = await measure(sqlite);
    await sqlite.close();
    const onEtcd = await createEtcdStore({ endpoints: [etcd.endpoint], prefix: `/bench-${randomBytes(3).toString('hex')}/`, logger: silentLogger() });
    const e = await measure(onEtcd);
    await onEtcd.close();
    const note = (x: number, y: number) => `etcd / SQLite = ${(x / y).toFixed(2)}`;
    return [
      { name: 'SQLite: one write at a time', value: Math.round(s.serialPerSecond), unit: 'writes/s', note: `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms` },
      { name: 'etcd: one write at a time', value: Math.round(e.serialPerSecond), unit: 'writes/s', note: `p50 ${e.p50.toFixed(2)} ms, p99 ${e.p99.toFixed(2)} ms; ${note(e.serialPerSecond, s.serialPerSecond)}` },
      { name: `SQLite: ${IN_FLIGHT} writes in flight (create + update)`, value: Math.round(s.concurrentPerSecond), unit: 'writes/s' },
      { name: `etcd: ${IN_FLIGHT} writes in flight (create + update)`, value: Math.round(e.concurrentPerSecond), unit: 'writes/s', note: note(e.concurrentPerSecond, s.concurrentPerSecond) },
    ];
  } finally {
    await etcd.stop();
    await cleanup();
  }
}
