/**
 * Fixed fake host facts for a simulated node, in the shape agent/host's fingerprinters produce them
 * (`NodeFacts`), so the node status goes through the agent's own buildNodeStatusMessage. Everything
 * is derived from the node's index: the same node reports the same facts after a restart, and two
 * nodes never share an address.
 */
import { createHash } from 'node:crypto';
import type { NodeFacts } from '../host/collector.js';

/** The runtime a simulated node says it has. */
export const SIM_RUNTIME_VERSION = 'sim://0.1.0';
/** The images every simulated node says it holds (the busybox image the tests build). */
export const SIM_IMAGES = [{ name: 'drover.local/busybox:test', sizeBytes: 1_200_000, platforms: ['linux/amd64'] }];

export interface FakeFactsOptions {
  index: number;
  name: string;
  cpuCores: number;
  memoryBytes: number;
  /** Disk of the (pretend) data dir's filesystem. */
  diskBytes?: number;
}

/** A node's InternalIP: 10.64.0.1 upwards, one per index (10.64.0.0/10 holds four million). */
export function simNodeIP(index: number): string {
  const n = index + 1;
  return `10.${64 + ((n >>> 16) & 63)}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Pod IP number `k` (0-based) of a node: 10.128.0.0/9 split into /24s, one per node (32,768 nodes; 253 pods each, then reused). */
export function simPodIP(index: number, k: number): string {
  return `10.${128 + ((index >>> 8) & 127)}.${index & 255}.${2 + (k % 253)}`;
}

export function fakeFacts(opts: FakeFactsOptions): NodeFacts {
  const disk = opts.diskBytes ?? 64 * 2 ** 30;
  const usedMemory = Math.round(opts.memoryBytes * 0.2);
  return {
    cpu: { cores: opts.cpuCores, model: 'Drover simulated CPU', loadPercent: 2 + (opts.index % 7) },
    memory: { totalBytes: opts.memoryBytes, usedBytes: usedMemory, availableBytes: opts.memoryBytes - usedMemory },
    disk: { path: '/var/lib/drover-sim', sizeBytes: disk, usedBytes: Math.round(disk * 0.1), availableBytes: Math.round(disk * 0.9) },
    host: {
      architecture: 'amd64',
      operatingSystem: 'linux',
      osImage: 'Drover simulated node',
      kernelVersion: '6.1.0-sim',
      hostname: opts.name,
      machineID: createHash('sha256').update(`drover-sim/${opts.name}`).digest('hex').slice(0, 32),
    },
    network: { internalIPs: [simNodeIP(opts.index)] },
    runtime: { version: SIM_RUNTIME_VERSION, images: SIM_IMAGES },
  };
}
