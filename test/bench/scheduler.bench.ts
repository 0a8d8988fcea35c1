/**
 * Scheduler throughput: 1000 pods onto 100 nodes through schedulePod with an in-memory snapshot, each
 * decision assumed into the snapshot before the next (the library alone, no store). Run with
 * `node --import tsx test/bench/scheduler.bench.ts` or through `npm run bench`.
 */
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createNodeSampler, DEFAULT_PROFILE, schedulePod } from '../../hub/placement/schedule.js';
import { snapshotFromObjects } from '../../hub/placement/snapshot.js';
import type { Node, Pod } from '../../protocol/index.js';
import type { BenchResult } from './run.js';

const NODES = Number(process.env.BENCH_NODES ?? 100);
const PODS = Number(process.env.BENCH_PODS ?? 1000);
/** kube-scheduler's percentageOfNodesToScore; 0 = its adaptive default. */
const PERCENTAGE = Number(process.env.BENCH_PERCENTAGE ?? 0);

/** The bench's node i (exported for comparisons of placements between versions). */
export function benchNode(i: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${String(i).padStart(5, '0')}`, labels: { zone: i % 2 ? 'north' : 'south', 'kubernetes.io/arch': i % 4 ? 'amd64' : 'arm64' } },
    spec: i % 10 === 0 ? { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } : {},
    status: {
      allocatable: { cpu: '8', memory: '16Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True' }],
      images: [{ names: [`drover.local/app-${i % 5}:1`], platforms: ['linux/amd64', 'linux/arm64'] }],
    },
  };
}

/** The bench's pod i. */
export function benchPod(i: number): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `pod-${i}`,
      namespace: 'default',
      uid: `uid-${i}`,
      labels: { app: `app-${i % 20}` },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${i % 20}`, uid: `rs-${i % 20}`, controller: true }],
    },
    spec: {
      containers: [
        {
          name: 'main',
          image: `drover.local/app-${i % 5}:1`,
          resources: { requests: { cpu: '100m', memory: '128Mi' } },
          ...(i % 7 === 0 ? { ports: [{ containerPort: 80, hostPort: 8000 + (i % 50) }] } : {}),
        },
      ],
      ...(i % 3 === 0 ? { nodeSelector: { zone: 'north' } } : {}),
    },
  };
}

export async function run(): Promise<BenchResult[]> {
  const nodes = Array.from({ length: NODES }, (_, i) => benchNode(i));
  const pods = Array.from({ length: PODS }, (_, i) => benchPod(i));
  const snapshot = snapshotFromObjects(nodes, []);
  const sampler = createNodeSampler();
  const profile = { ...DEFAULT_PROFILE, percentageOfNodesToScore: PERCENTAGE };
  let unscheduled = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  for (const p of pods) {
    const result = schedulePod(p, snapshot, profile, sampler);
    if (result.node === undefined) unscheduled++;
    else snapshot.assume(p, result.node);
  }
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return [
    {
      name: `schedulePod, ${PODS} pods onto ${NODES} nodes`,
      value: Math.round(PODS / seconds),
      unit: 'pods/s',
      note: `in-memory snapshot, default profile; ${unscheduled} left unschedulable; ${Math.round(PODS / cpuSeconds)} pods per CPU-second`,
    },
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await run()) console.log(`${r.name}: ${r.value} ${r.unit} (${r.note})`);
}
