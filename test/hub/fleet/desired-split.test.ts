import { describe, expect, it } from 'vitest';
import { splitDesiredSet } from '../../../hub/fleet/desired-split.js';
import type { ConfigData, DesiredSetMessage } from '../../../protocol/messages.js';
import { MAX_DESIRED_SET_PARTS } from '../../../protocol/topics.js';

const cfg = (name: string, bytes: number): ConfigData => ({ kind: 'ConfigMap', namespace: 'default', name, data: { k: 'x'.repeat(bytes) } });
const pod = (name: string, uses: string[]) => ({
  apiVersion: 'v1' as const,
  kind: 'Pod' as const,
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'i', envFrom: uses.map((u) => ({ configMapRef: { name: u } })) }] },
});
const set = (pods: ReturnType<typeof pod>[], config: ConfigData[]): DesiredSetMessage =>
  ({ v: 1, type: 'desiredSet', sentAt: new Date(0).toISOString(), node: 'n1', generation: 9, pods, config }) as DesiredSetMessage;
const size = (m: unknown) => Buffer.byteLength(JSON.stringify(m));

describe('splitting a desired set too large for one message', () => {
  it('a set that fits goes as it is, in one message without part fields', () => {
    const s = set([pod('a', ['c1'])], [cfg('c1', 100)]);
    const r = splitDesiredSet(s, 64 * 1024);
    expect(r.messages).toEqual([s]);
  });

  it('splits into parts of one generation, each under the limit, each pod with the config it uses', () => {
    const limit = 64 * 1024;
    const config = [cfg('c1', 20_000), cfg('c2', 20_000), cfg('c3', 20_000), cfg('shared', 5_000)];
    const s = set([pod('a', ['c1', 'shared']), pod('b', ['c2', 'shared']), pod('c', ['c3'])], config);
    const r = splitDesiredSet(s, limit);
    expect(r.undeliverable).toEqual([]);
    expect(r.messages.length).toBeGreaterThan(1);
    r.messages.forEach((m, i) => {
      expect(size(m)).toBeLessThanOrEqual(limit);
      expect(m).toMatchObject({ generation: 9, part: i, parts: r.messages.length });
      for (const p of m.pods) {
        const uses = (p.spec.containers[0]!.envFrom ?? []).map((e) => e.configMapRef!.name);
        for (const u of uses) expect(m.config.map((c) => c.name)).toContain(u);
      }
    });
    expect(r.messages.flatMap((m) => m.pods.map((p) => p.metadata.name))).toEqual(['a', 'b', 'c']);
  });

  it('leaves out and names a pod too large even alone; the rest still goes', () => {
    const r = splitDesiredSet(set([pod('small', []), pod('huge', ['big'])], [cfg('big', 100_000)]), 64 * 1024);
    expect(r.undeliverable.map((u) => u.pod.metadata.name)).toEqual(['huge']);
    expect(r.undeliverable[0]!.bytes).toBeGreaterThan(100_000);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]!.pods.map((p) => p.metadata.name)).toEqual(['small']);
    expect(r.messages[0]!.config).toEqual([]);
  });

  it(`refuses a set that would take more than ${MAX_DESIRED_SET_PARTS} parts`, () => {
    const config = Array.from({ length: MAX_DESIRED_SET_PARTS + 1 }, (_, i) => cfg(`c${i}`, 50_000));
    const r = splitDesiredSet(set(config.map((c) => pod(`p-${c.name}`, [c.name])), config), 64 * 1024);
    expect(r.tooManyParts).toBe(MAX_DESIRED_SET_PARTS + 1);
    expect(r.messages).toEqual([]);
  });
});
