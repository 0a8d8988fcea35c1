import { describe, expect, it } from 'vitest';
import type { NodeFacts } from '../../../agent/host/collector.js';
import { buildNodeStatusMessage, hostIPOf } from '../../../agent/link/node-status.js';
import { nodeStatusMessageSchema } from '../../../protocol/messages.js';

const GiB = 2 ** 30;
const facts: NodeFacts = {
  cpu: { cores: 4, model: 'ARM Cortex-A72', loadPercent: 12.5 },
  memory: { totalBytes: 4 * GiB, usedBytes: GiB, availableBytes: 3 * GiB },
  disk: { path: '/var/lib/drover', sizeBytes: 32 * GiB, usedBytes: 8 * GiB, availableBytes: 24 * GiB },
  host: {
    architecture: 'arm64',
    operatingSystem: 'linux',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    kernelVersion: '6.1.0-rpi7',
    hostname: 'pi-4',
    machineID: 'abc',
  },
  network: { internalIPs: ['192.168.1.20'] },
  runtime: {
    version: 'containerd://1.6.20',
    images: [{ name: 'drover.local/busybox:test', sizeBytes: 2_000_000, platforms: ['linux/arm64'] }, { name: 'registry.local/x:1' }],
  },
};

describe('node status message', () => {
  const msg = buildNodeStatusMessage(facts, 'pi-4', () => Date.parse('2026-01-01T00:00:00Z'));

  it('validates against the protocol schema', () => {
    expect(nodeStatusMessageSchema.safeParse(msg).success).toBe(true);
  });

  it('has capacity in Kubernetes quantities and allocatable minus the documented reserve', () => {
    expect(msg.status.capacity).toEqual({ cpu: '4', memory: `${4 * 1024 * 1024}Ki`, pods: '110', 'ephemeral-storage': `${32 * 1024 * 1024}Ki` });
    expect(msg.status.allocatable).toEqual({
      cpu: '3900m',
      memory: `${4 * 1024 * 1024 - 256 * 1024}Ki`,
      pods: '110',
      'ephemeral-storage': `${Math.floor(32 * 1024 * 1024 * 0.9)}Ki`,
    });
  });

  it('carries nodeInfo, addresses, usage, images, conditions and the well-known labels', () => {
    expect(msg.status.nodeInfo).toEqual({
      architecture: 'arm64',
      operatingSystem: 'linux',
      osImage: 'Debian GNU/Linux 12 (bookworm)',
      kernelVersion: '6.1.0-rpi7',
      containerRuntimeVersion: 'containerd://1.6.20',
      kubeletVersion: 'drover-0.1.0',
      cpuModel: 'ARM Cortex-A72',
      hostname: 'pi-4',
      machineID: 'abc',
    });
    expect(msg.status.addresses).toEqual([
      { type: 'InternalIP', address: '192.168.1.20' },
      { type: 'Hostname', address: 'pi-4' },
    ]);
    expect(msg.status.usage).toEqual({ cpuPercent: 12.5, memoryUsedBytes: GiB, diskUsedBytes: 8 * GiB, timestamp: '2026-01-01T00:00:00.000Z' });
    expect(msg.status.images).toEqual([
      { names: ['drover.local/busybox:test'], sizeBytes: 2_000_000, platforms: ['linux/arm64'] },
      { names: ['registry.local/x:1'] },
    ]);
    expect(msg.status.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False']);
    expect(msg.labels).toEqual({ 'kubernetes.io/hostname': 'pi-4', 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux', 'drover.io/agent-version': '0.1.0' });
    expect(hostIPOf(facts)).toBe('192.168.1.20');
  });

  it('reports memory and disk pressure', () => {
    const tight = buildNodeStatusMessage(
      { ...facts, memory: { totalBytes: GiB, usedBytes: GiB - 50 * 2 ** 20, availableBytes: 50 * 2 ** 20 }, disk: { ...facts.disk!, availableBytes: GiB } },
      'pi-4',
    );
    expect(tight.status.conditions?.filter((c) => c.status === 'True').map((c) => c.type)).toEqual(['MemoryPressure', 'DiskPressure']);
  });

  it('is still valid with no facts yet', () => {
    const bare = buildNodeStatusMessage({}, 'n');
    expect(nodeStatusMessageSchema.safeParse(bare).success).toBe(true);
    expect(bare.labels).toEqual({ 'kubernetes.io/hostname': 'n', 'drover.io/agent-version': '0.1.0' });
  });
});
