import { describe, expect, it } from 'vitest';
import { simPodUsage } from '../../../agent/sim/pod-usage.js';
import type { PodStatusEntry } from '../../../protocol/messages.js';
import { podUsageReportSchema } from '../../../protocol/pod-usage.js';

const entry = (name: string, phase: string, running: boolean): PodStatusEntry =>
  ({
    namespace: 'default',
    name,
    uid: `uid-${name}`,
    status: { phase, containerStatuses: [{ name: 'main', ready: running, restartCount: 0, image: 'x', imageID: '', state: running ? { running: { startedAt: '2026-01-01T00:00:00Z' } } : { waiting: { reason: 'ContainerCreating' } } }] },
  }) as unknown as PodStatusEntry;

describe('simulated pod usage', () => {
  it('gives every running container a steady, plausible CPU and memory; pending pods none', () => {
    const pods = [entry('a', 'Running', true), entry('b', 'Pending', false)];
    const report = simPodUsage(pods, 0, 5);
    expect(podUsageReportSchema.safeParse(report).success).toBe(true);
    expect(report.pods.map((p) => p.name)).toEqual(['a']);
    const [c] = report.pods[0]!.containers;
    expect(c!.cpuNanoCores).toBeGreaterThanOrEqual(1e6);
    expect(c!.cpuNanoCores).toBeLessThanOrEqual(50e6 * 1.1);
    expect(c!.memoryBytes).toBeGreaterThanOrEqual(4 * 2 ** 20);
    expect(c!.memoryBytes).toBeLessThanOrEqual(64 * 2 ** 20);
    // the same pod reads the same memory later, its CPU wobbles a little
    const later = simPodUsage(pods, 45_000, 5).pods[0]!.containers[0]!;
    expect(later.memoryBytes).toBe(c!.memoryBytes);
    expect(later.cpuNanoCores).not.toBe(c!.cpuNanoCores);
  });
});
