import { describe, expect, it } from 'vitest';
import type { NodeFacts } from '../../../agent/host/collector.js';
import { buildNodeStatusMessage } from '../../../agent/link/node-status.js';
import { createNodeStatusPublisher } from '../../../agent/link/node-status-publisher.js';
import type { PodUsageReport } from '../../../protocol/pod-usage.js';
import { nodeHeartbeatMessageSchema, nodeStatusMessageSchema, type NodeHeartbeatMessage, type NodeStatusMessage } from '../../../protocol/messages.js';

const GiB = 2 ** 30;
function facts(usedBytes: number, images = ['drover.local/busybox:test']): NodeFacts {
  return {
    cpu: { cores: 4, model: 'x', loadPercent: usedBytes / GiB },
    memory: { totalBytes: 4 * GiB, usedBytes, availableBytes: 4 * GiB - usedBytes },
    disk: { path: '/d', sizeBytes: 32 * GiB, usedBytes: GiB, availableBytes: 31 * GiB },
    host: { architecture: 'amd64', operatingSystem: 'linux', osImage: 'Debian', kernelVersion: '6', hostname: 'n1', machineID: 'm1' },
    network: { internalIPs: ['10.0.0.1'] },
    runtime: { version: 'containerd://1.6', images: images.map((name) => ({ name })) },
  };
}

function harness(refreshMs = 60_000, podUsage?: () => PodUsageReport | undefined) {
  let now = Date.parse('2026-12-01T00:00:00Z');
  let current = facts(GiB);
  const statuses: NodeStatusMessage[] = [];
  const heartbeats: NodeHeartbeatMessage[] = [];
  const publisher = createNodeStatusPublisher({
    build: () => buildNodeStatusMessage(current, 'n1', () => now),
    publishStatus: async (m) => void statuses.push(m),
    publishHeartbeat: async (m) => void heartbeats.push(m),
    clock: () => now,
    refreshMs,
    ...(podUsage ? { podUsage } : {}),
  });
  return {
    publisher,
    statuses,
    heartbeats,
    advance: (ms: number) => (now += ms),
    setFacts: (f: NodeFacts) => (current = f),
  };
}

describe('node status publisher', () => {
  it('the first heartbeat after a pod usage sample carries it, once; the full status never', async () => {
    const sample: PodUsageReport = { timestamp: '2026-12-01T00:00:00.000Z', windowSeconds: 5, pods: [{ namespace: 'default', name: 'web', containers: [{ name: 'main', cpuNanoCores: 5, memoryBytes: 7 }] }] };
    const h = harness(60_000, () => sample);
    expect(await h.publisher.tick()).toBe('status');
    expect(await h.publisher.tick()).toBe('heartbeat');
    expect(await h.publisher.tick()).toBe('heartbeat');
    expect(h.heartbeats[0]!.podUsage).toEqual(sample);
    expect(h.heartbeats[1]!.podUsage).toBeUndefined(); // a sample goes once: the hub keeps the last
    expect(nodeHeartbeatMessageSchema.safeParse(h.heartbeats[0]).success).toBe(true);
    expect(JSON.stringify(h.statuses[0])).not.toContain('cpuNanoCores');
  });

  it('sends the full status first, then heartbeats with live usage while nothing else changes', async () => {
    const h = harness();
    expect(await h.publisher.tick()).toBe('status');
    for (let i = 1; i <= 5; i++) {
      h.advance(5000);
      h.setFacts(facts(GiB + i * 1000)); // usage moves: not a change of status
      expect(await h.publisher.tick()).toBe('heartbeat');
    }
    expect(h.statuses).toHaveLength(1);
    expect(h.heartbeats).toHaveLength(5);
    for (const hb of h.heartbeats) expect(nodeHeartbeatMessageSchema.safeParse(hb).success).toBe(true);
    expect(h.heartbeats.at(-1)!.usage?.memoryUsedBytes).toBe(GiB + 5000);
    expect(nodeStatusMessageSchema.safeParse(h.statuses[0]).success).toBe(true);
  });

  it('sends the full status when something in it changes, on refresh, and after a reconnect', async () => {
    const h = harness(60_000);
    await h.publisher.tick();
    h.advance(5000);
    h.setFacts(facts(GiB, ['drover.local/busybox:test', 'registry.local/nginx:1.27'])); // a new image
    expect(await h.publisher.tick()).toBe('status');
    h.advance(5000);
    expect(await h.publisher.tick()).toBe('heartbeat');
    h.advance(60_000);
    expect(await h.publisher.tick()).toBe('status'); // the refresh
    h.advance(5000);
    h.publisher.forceFull(); // connected again
    expect(await h.publisher.tick()).toBe('status');
    expect(h.statuses).toHaveLength(4);
  });
});
