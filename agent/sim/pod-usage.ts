/**
 * Plausible pod usage for simulated nodes (metrics.k8s.io against a simulated fleet): each running
 * container of the report uses a steady amount of CPU (1-50 millicores) and memory (4-64 MiB) derived
 * from its pod's uid and name, with a small wobble over time, as a real idle workload looks. No
 * cgroup is read; one cheap string hash per container per heartbeat.
 */
import type { PodStatusEntry } from '../../protocol/messages.js';
import type { PodUsageReport } from '../../protocol/pod-usage.js';
import { preciseTimestamp } from '../../protocol/time.js';

/** FNV-1a, 32 bits: a stable number from a string. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const MIB = 1024 * 1024;

/** The usage of every running container of `pods` at `now`, over `windowSeconds` (sim-node.ts takes one every 15 s, as the agent). */
export function simPodUsage(pods: readonly PodStatusEntry[], now: number, windowSeconds: number): PodUsageReport {
  const wobble = 1 + 0.1 * Math.sin(now / 30_000);
  const out: PodUsageReport['pods'] = [];
  for (const p of pods) {
    if (p.status.phase !== 'Running') continue;
    const containers = (p.status.containerStatuses ?? [])
      .filter((c) => c.state?.running !== undefined)
      .map((c) => {
        const h = hash(`${p.uid}/${c.name}`);
        return { name: c.name, cpuNanoCores: Math.round((1 + (h % 50)) * 1e6 * wobble), memoryBytes: (4 + ((h >>> 8) % 61)) * MIB };
      });
    if (containers.length > 0) out.push({ namespace: p.namespace, name: p.name, uid: p.uid, containers });
  }
  return { timestamp: preciseTimestamp(now), windowSeconds, pods: out };
}
