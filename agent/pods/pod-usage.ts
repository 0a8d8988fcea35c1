/**
 * Per-pod CPU and memory for metrics.k8s.io (`kubectl top pods`), as the kubelet's summary API gives
 * metrics-server: every sample reads each running container's cgroup (the runtime says where it is,
 * `ContainerRuntime.cgroupPaths`; `runtime-adapters/cgroup-usage.ts` reads it), CPU as the rate of its
 * cumulative CPU time since the previous sample of the same container, memory as the working set. The
 * containers come from the reconciler's last observation (no runtime CLI call); a container seen for
 * the first time has no rate yet and is reported from the next sample on. The latest report rides in
 * the node's heartbeat (agent/link/node-status-publisher.ts).
 */
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import { preciseTimestamp } from '../../protocol/time.js';
import type { PodUsageEntry, PodUsageReport } from '../../protocol/pod-usage.js';
import { DEFAULT_POD_USAGE_INTERVAL_MS, MAX_CONTAINERS_PER_POD_USAGE, MAX_POD_USAGE_ENTRIES } from '../../protocol/pod-usage.js';
import type { CgroupUsage } from '../../runtime-adapters/cgroup-usage.js';
import type { ContainerInfo } from '../../runtime-adapters/runtime.js';

export interface PodUsageSamplerOptions {
  /** The runtime's cgroup candidates for a container (undefined: the runtime cannot say, nothing is sampled). */
  cgroupPaths: ((id: string) => string[]) | undefined;
  /** Read one container's cgroup (readCgroupUsage in production). */
  read(candidates: string[]): Promise<CgroupUsage | undefined>;
  clock: () => number;
  /** At most one sample this often (default 15 s); sample() calls in between do nothing. */
  intervalMs?: number;
}

export interface PodUsageSampler {
  /** The containers the reconciler saw, by pod uid. */
  observe(containersByPod: ReadonlyMap<string, readonly ContainerInfo[]>): void;
  /** Read every running container's cgroup, if the interval has passed since the last sample. */
  sample(): Promise<void>;
  /** The last complete sample (undefined before two samples, or when nothing could be read). */
  latest(): PodUsageReport | undefined;
}

interface Previous {
  at: number;
  cpuUsageNanos: number;
}

export function createPodUsageSampler(opts: PodUsageSamplerOptions): PodUsageSampler {
  let running: ContainerInfo[] = [];
  let previous = new Map<string, Previous>();
  let report: PodUsageReport | undefined;
  let sampling = false;
  let sampledAt = Number.NEGATIVE_INFINITY;
  const intervalMs = opts.intervalMs ?? DEFAULT_POD_USAGE_INTERVAL_MS;
  return {
    observe(containersByPod) {
      running = [...containersByPod.values()].flat().filter((c) => c.state === 'running');
    },
    async sample() {
      const paths = opts.cgroupPaths;
      if (!paths || sampling) return;
      const now = opts.clock();
      // a little early is still due: timers of one interval drift by a few ms
      if (now - sampledAt < intervalMs * 0.9) return;
      sampling = true;
      sampledAt = now;
      try {
        const next = new Map<string, Previous>();
        const pods = new Map<string, PodUsageEntry>();
        let window = 0;
        for (const c of running) {
          const usage = await opts.read(paths(c.id));
          if (!usage) continue;
          next.set(c.id, { at: now, cpuUsageNanos: usage.cpuUsageNanos });
          const before = previous.get(c.id);
          if (!before || now <= before.at) continue;
          const uid = c.labels[RUNTIME_LABELS.podUid];
          const namespace = c.labels[RUNTIME_LABELS.podNamespace];
          const name = c.labels[RUNTIME_LABELS.podName];
          const container = c.labels[RUNTIME_LABELS.container];
          if (!uid || !namespace || !name || !container) continue;
          const seconds = (now - before.at) / 1000;
          window = Math.max(window, seconds);
          const cpuNanoCores = Math.max(0, Math.round((usage.cpuUsageNanos - before.cpuUsageNanos) / seconds));
          const entry = pods.get(uid) ?? { namespace, name, uid, containers: [] };
          if (entry.containers.length < MAX_CONTAINERS_PER_POD_USAGE) entry.containers.push({ name: container, cpuNanoCores, memoryBytes: Math.round(usage.memoryWorkingSetBytes) });
          pods.set(uid, entry);
        }
        previous = next;
        report =
          window > 0
            ? { timestamp: preciseTimestamp(now), windowSeconds: Number(window.toFixed(3)), pods: [...pods.values()].slice(0, MAX_POD_USAGE_ENTRIES) }
            : running.length === 0
              ? { timestamp: preciseTimestamp(now), windowSeconds: 1, pods: [] }
              : report;
      } finally {
        sampling = false;
      }
    },
    latest: () => report,
  };
}
