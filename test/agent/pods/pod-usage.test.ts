import { describe, expect, it } from 'vitest';
import { createPodUsageSampler } from '../../../agent/pods/pod-usage.js';
import { nodeHeartbeatMessageSchema } from '../../../protocol/messages.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import type { CgroupUsage } from '../../../runtime-adapters/cgroup-usage.js';
import type { ContainerInfo } from '../../../runtime-adapters/runtime.js';

function container(id: string, pod: string, name: string, state: ContainerInfo['state'] = 'running'): ContainerInfo {
  return {
    id,
    name: `drover_${name}`,
    image: 'drover.local/busybox:test',
    state,
    labels: { [RUNTIME_LABELS.podUid]: `uid-${pod}`, [RUNTIME_LABELS.podNamespace]: 'default', [RUNTIME_LABELS.podName]: pod, [RUNTIME_LABELS.container]: name },
  };
}

describe('pod usage sampler', () => {
  it('reports CPU as the rate between two samples of each container and memory as its working set', async () => {
    let now = 1_000_000;
    const counters = new Map<string, CgroupUsage>([
      ['c1', { cpuUsageNanos: 1_000_000_000, memoryWorkingSetBytes: 5 * 2 ** 20 }],
      ['c2', { cpuUsageNanos: 0, memoryWorkingSetBytes: 2 ** 20 }],
    ]);
    const asked: string[][] = [];
    const sampler = createPodUsageSampler({
      cgroupPaths: (id) => [`docker/${id}`],
      read: async (candidates) => {
        asked.push(candidates);
        return counters.get(candidates[0]!.slice('docker/'.length));
      },
      clock: () => now,
      intervalMs: 5000,
    });
    sampler.observe(new Map([['uid-web', [container('c1', 'web', 'main'), container('c2', 'web', 'side'), container('c3', 'web', 'old', 'exited')]]]));
    await sampler.sample();
    expect(sampler.latest()).toBeUndefined(); // one reading: no rate yet
    expect(asked.map((a) => a[0])).toEqual(['docker/c1', 'docker/c2']); // exited containers are not read
    now += 1000;
    await sampler.sample(); // before the interval: nothing read
    expect(asked).toHaveLength(2);
    now += 4000;
    counters.set('c1', { cpuUsageNanos: 1_500_000_000, memoryWorkingSetBytes: 6 * 2 ** 20 });
    counters.set('c2', { cpuUsageNanos: 50_000_000, memoryWorkingSetBytes: 2 ** 20 });
    await sampler.sample();
    const report = sampler.latest()!;
    expect(report).toEqual({
      timestamp: new Date(now).toISOString(),
      windowSeconds: 5,
      pods: [
        {
          namespace: 'default',
          name: 'web',
          uid: 'uid-web',
          containers: [
            { name: 'main', cpuNanoCores: 100_000_000, memoryBytes: 6 * 2 ** 20 },
            { name: 'side', cpuNanoCores: 10_000_000, memoryBytes: 2 ** 20 },
          ],
        },
      ],
    });
    // what the heartbeat carries is valid protocol
    expect(nodeHeartbeatMessageSchema.safeParse({ v: 1, type: 'heartbeat', sentAt: report.timestamp, podUsage: report }).success).toBe(true);
    // no running containers: an empty sample, so stopped pods drop out of the metrics
    sampler.observe(new Map());
    now += 5000;
    await sampler.sample();
    expect(sampler.latest()?.pods).toEqual([]);
  });

  it('samples nothing when the runtime cannot say where its cgroups are', async () => {
    let reads = 0;
    const sampler = createPodUsageSampler({ cgroupPaths: undefined, read: async () => (reads++, undefined), clock: () => 0 });
    sampler.observe(new Map([['u', [container('c1', 'web', 'main')]]]));
    await sampler.sample();
    expect(reads).toBe(0);
    expect(sampler.latest()).toBeUndefined();
  });
});
