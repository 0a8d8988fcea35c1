/**
 * The HPA's resource metrics client (Kubernetes' metrics.k8s.io PodMetrics, read here straight from
 * what the metrics API serves: the per-pod cgroup samples the agents' heartbeats carry, held in
 * hub/leases). Only fresh metrics are given: a pod has none when its node's agent is offline (its lease
 * ended), its node is not Ready, the node's last sample is older than `maxAgeMs`, or the sample does not
 * list it (by uid). The replica calculator treats such pods as missing (100% on a scale-down, 0% on a
 * scale-up), never as idle.
 */
import type { Node } from '../../../protocol/objects/node.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import type { ObjectCache } from '../../cache/object-cache.js';
import type { NodeLeases } from '../../leases/index.js';
import type { PodMetric } from './replica-calculator.js';

/**
 * How old a node's pod sample may be (default 60 s): a sample rides in every third heartbeat, each
 * 15 s (protocol/pod-usage.ts), so two lost in a row are still fresh, four are not.
 */
export const DEFAULT_METRICS_MAX_AGE_MS = 60_000;

export interface PodMetricsSource {
  /** Fresh use of `resource` (CPU millicores, memory bytes) of each pod that has some, by pod name; one container's when `container` is given. */
  podMetrics(pods: readonly Pod[], resource: 'cpu' | 'memory', container?: string): Map<string, PodMetric>;
}

export function createLeaseMetricsSource(opts: { leases: NodeLeases; cache: ObjectCache; clock: () => number; maxAgeMs?: number }): PodMetricsSource {
  const maxAgeMs = opts.maxAgeMs ?? DEFAULT_METRICS_MAX_AGE_MS;
  return {
    podMetrics(pods, resource, container) {
      const out = new Map<string, PodMetric>();
      const now = opts.clock();
      for (const pod of pods) {
        const nodeName = pod.spec.nodeName;
        if (!nodeName) continue;
        const lease = opts.leases.get(nodeName);
        if (!lease?.connected || !lease.podUsage) continue;
        const node = opts.cache.kind<Node>('Node').get('', nodeName);
        if (node?.status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True') continue;
        const timestamp = Date.parse(lease.podUsage.timestamp);
        if (!Number.isFinite(timestamp) || now - timestamp > maxAgeMs) continue;
        const entry = lease.podUsage.pods.find(
          (p) => p.namespace === pod.metadata.namespace && p.name === pod.metadata.name && (p.uid === undefined || p.uid === pod.metadata.uid),
        );
        if (!entry) continue;
        const containers = container === undefined ? entry.containers : entry.containers.filter((c) => c.name === container);
        if (containers.length === 0) continue;
        const value = containers.reduce((sum, c) => sum + (resource === 'cpu' ? c.cpuNanoCores / 1e6 : c.memoryBytes), 0);
        out.set(pod.metadata.name, { value, timestamp, windowMs: lease.podUsage.windowSeconds * 1000 });
      }
      return out;
    },
  };
}
