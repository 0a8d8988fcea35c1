import { describe, expect, it } from 'vitest';
import { matchesSelector, parseLabelSelector } from '../../protocol/index.js';

describe('label selectors', () => {
  it('parses and matches the string forms', () => {
    const s = parseLabelSelector('app=web,tier!=db,env in (prod, staging),!legacy,zone');
    expect(matchesSelector({ app: 'web', env: 'prod', zone: 'a' }, s)).toBe(true);
    expect(matchesSelector({ app: 'web', env: 'dev', zone: 'a' }, s)).toBe(false);
    expect(matchesSelector({ app: 'web', env: 'prod', zone: 'a', legacy: 'y' }, s)).toBe(false);
    expect(matchesSelector({ app: 'web', env: 'prod', zone: 'a', tier: 'db' }, s)).toBe(false);
    expect(matchesSelector({ app: 'web', env: 'prod' }, s)).toBe(false);
  });
  it('matches matchLabels', () => {
    expect(matchesSelector({ a: '1' }, { matchLabels: { a: '1' } })).toBe(true);
    expect(matchesSelector({}, { matchLabels: { a: '1' } })).toBe(false);
  });
  it('rejects bad syntax', () => {
    expect(() => parseLabelSelector('a in b')).toThrow(/invalid label selector/);
  });
});
