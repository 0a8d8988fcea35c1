import { describe, expect, it } from 'vitest';
import { createDesiredPartsAssembler, KEPT_INCOMPLETE_GENERATIONS } from '../../../agent/link/desired-parts.js';
import type { DesiredSetMessage } from '../../../protocol/messages.js';
import { desiredSet, makePod } from '../helpers.js';

const part = (generation: number, i: number, parts: number, names: string[], config: DesiredSetMessage['config'] = []): DesiredSetMessage => ({
  ...desiredSet(generation, names.map((n) => makePod(n))),
  part: i,
  parts,
  config,
});

describe('desired parts assembler', () => {
  it('puts a generation together once all its parts are in, pods in part order, config once each', () => {
    const a = createDesiredPartsAssembler();
    const cm = { kind: 'ConfigMap' as const, namespace: 'default', name: 'c', data: { k: 'v' } };
    expect(a.add(part(5, 1, 2, ['b'], [cm]))).toEqual({ kind: 'waiting', generation: 5, parts: 2, missing: 1 });
    const out = a.add(part(5, 0, 2, ['a'], [cm]));
    expect(out.kind).toBe('complete');
    if (out.kind !== 'complete') return;
    expect(out.set.pods.map((p) => p.metadata.name)).toEqual(['a', 'b']);
    expect(out.set.config).toEqual([cm]);
    expect(out.set.part).toBeUndefined();
    expect(a.waiting()).toEqual([]);
  });

  it('drops parts older than the set in use, and parts that disagree on how many there are', () => {
    const a = createDesiredPartsAssembler();
    a.settled(7);
    expect(a.add(part(6, 0, 2, ['x'])).kind).toBe('dropped');
    expect(a.add(part(8, 0, 2, ['x'])).kind).toBe('waiting');
    expect(a.add(part(8, 1, 3, ['y']))).toMatchObject({ kind: 'dropped', reason: expect.stringMatching(/disagree/) });
    expect(a.waiting()).toEqual([]);
    expect(a.add(part(9, 0, 1 + 1, ['x'])).kind).toBe('waiting');
    expect(a.add({ ...desiredSet(9, []) })).toMatchObject({ kind: 'dropped' });
  });

  it(`keeps at most ${KEPT_INCOMPLETE_GENERATIONS} incomplete generations, the newest`, () => {
    const a = createDesiredPartsAssembler();
    for (let g = 1; g <= KEPT_INCOMPLETE_GENERATIONS + 2; g++) a.add(part(g, 0, 2, ['p']));
    expect(a.waiting()).toEqual(Array.from({ length: KEPT_INCOMPLETE_GENERATIONS }, (_, i) => i + 3));
    expect(a.add(part(1, 1, 2, ['q'])).kind).toBe('dropped');
    a.settled(4);
    expect(a.waiting()).toEqual([4, 5]);
  });
});
