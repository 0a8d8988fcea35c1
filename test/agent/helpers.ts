/** Shared helpers for the agent's tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredSet } from '../../agent/desired-set.js';
import type { NetworkSetMessage } from '../../protocol/messages.js';
import type { Container, Pod } from '../../protocol/objects/pod.js';

export const NODE = 'node-a';
export const TEST_IMAGE = 'drover.local/busybox:test';

export function makePod(name: string, overrides: { uid?: string; containers?: Container[]; spec?: Partial<Pod['spec']>; metadata?: Partial<Pod['metadata']> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: overrides.uid ?? `uid-${name}-0000-1111`, ...overrides.metadata },
    spec: {
      nodeName: NODE,
      containers: overrides.containers ?? [{ name: 'main', image: TEST_IMAGE }],
      ...overrides.spec,
    },
  };
}

export function desiredSet(generation: number, pods: Pod[], node = NODE): DesiredSet {
  return { v: 1, type: 'desiredSet', sentAt: new Date(0).toISOString(), node, generation, pods, config: [] };
}

/** A network set for NODE (override any field). */
export function networkSet(generation: number, over: Partial<NetworkSetMessage> = {}, node = NODE): NetworkSetMessage {
  return {
    v: 1,
    type: 'networkSet',
    sentAt: new Date(0).toISOString(),
    node,
    generation,
    podCIDR: '10.42.1.0/24',
    clusterCIDR: '10.42.0.0/16',
    serviceCIDR: '10.43.0.0/16',
    clusterDomain: 'cluster.local',
    mtu: 1450,
    peers: [],
    services: [],
    ...over,
  };
}

export async function tempDir(prefix = 'drover-agent-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A clock the test moves by hand. */
export function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export async function waitUntil<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${lastErr ? `: ${String(lastErr)}` : ''}`);
}
