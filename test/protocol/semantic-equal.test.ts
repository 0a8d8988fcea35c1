import { describe, expect, it } from 'vitest';
import { pruneEmpty, semanticallyEqual } from '../../protocol/semantic-equal.js';

describe('semanticallyEqual (Kubernetes Semantic.DeepEqual for JSON)', () => {
  it('null members, empty maps and empty lists are the same as absent ones', () => {
    const stored = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'a' }] } };
    const fromKubectl = { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'a', resources: {}, env: [] }], volumes: [] } };
    expect(semanticallyEqual(stored, fromKubectl)).toBe(true);
  });

  it('values, list order and list lengths still count', () => {
    expect(semanticallyEqual({ a: { b: 1 } }, { a: { b: 2 } })).toBe(false);
    expect(semanticallyEqual({ command: ['sleep', '1'] }, { command: ['1', 'sleep'] })).toBe(false);
    expect(semanticallyEqual({ items: [{}, { a: 1 }] }, { items: [{ a: 1 }] })).toBe(false);
    expect(semanticallyEqual({ a: '' }, {})).toBe(false);
    expect(semanticallyEqual({ a: 0 }, { a: null })).toBe(false);
  });

  it('pruneEmpty keeps list items in place and drops what is left empty', () => {
    expect(pruneEmpty({ a: [{ b: null }, { c: 1 }], d: { e: {} } })).toEqual({ a: [{}, { c: 1 }] });
    expect(pruneEmpty({ a: null })).toBeUndefined();
  });
});
