import { describe, expect, it } from 'vitest';
import qlobber from 'qlobber';
import { RetainedIndex } from '../../../hub/broker/retained-index.js';

const topics = [
  'drover/v1/nodes/a/desired',
  'drover/v1/nodes/a/presence',
  'drover/v1/nodes/b/desired',
  'drover/v1/nodes/b/network',
  'drover/v1/join/c1/reply',
  'a',
  'a/',
  'a//b',
  '/b',
  '$SYS/x/y',
];

function indexOf(list: string[]): RetainedIndex<{ topic: string; payload: string }> {
  const index = new RetainedIndex<{ topic: string; payload: string }>();
  for (const topic of list) index.set({ topic, payload: `p:${topic}` });
  return index;
}

/** What aedes' memory persistence sends for a filter: every retained topic qlobber matches. */
function aedesMatches(list: string[], filter: string): string[] {
  const q = new qlobber.QlobberTrue({ wildcard_one: '+', wildcard_some: '#', separator: '/' });
  q.add(filter);
  return list.filter((t) => q.test(t)).sort();
}

describe('RetainedIndex', () => {
  it('answers a filter without wildcards by one lookup, however many messages are retained', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => `drover/v1/nodes/n${i}/desired`);
    const index = indexOf(many);
    expect([...index.match('drover/v1/nodes/n123/desired')].map((p) => p.topic)).toEqual(['drover/v1/nodes/n123/desired']);
    expect([...index.match('drover/v1/nodes/n123/cmd')]).toEqual([]);
    // one message looked at in all: the one found
    expect(index.visited).toBe(1);
  });

  it('walks only the levels a wildcard filter names', () => {
    const many = Array.from({ length: 5_000 }, (_, i) => `drover/v1/nodes/n${i}/desired`);
    const index = indexOf([...many, 'drover/v1/nodes/n7/presence', 'drover/v1/join/x/reply']);
    expect([...index.match('drover/v1/nodes/n7/#')].map((p) => p.topic).sort()).toEqual(['drover/v1/nodes/n7/desired', 'drover/v1/nodes/n7/presence']);
    expect(index.visited).toBe(2);
    index.visited = 0;
    expect([...index.match('drover/v1/join/+/reply')].map((p) => p.topic)).toEqual(['drover/v1/join/x/reply']);
    expect(index.visited).toBe(1);
  });

  it('matches every filter exactly as aedes memory persistence does', () => {
    const index = indexOf(topics);
    const filters = ['#', '+', '+/#', 'a/#', 'a/+', '+/b', '+/+/b', 'drover/#', 'drover/v1/nodes/+/desired', 'drover/v1/+/+/+', 'drover/+', '$SYS/#', 'a', 'a/', 'nothing/#'];
    for (const filter of filters) {
      expect([...index.match(filter)].map((p) => p.topic).sort(), filter).toEqual(aedesMatches(topics, filter));
    }
  });

  it('replaces the message of a topic and forgets a deleted one, pruning empty levels', () => {
    const index = indexOf(topics);
    index.set({ topic: 'a', payload: 'new' });
    expect(index.get('a')?.payload).toBe('new');
    expect(index.size).toBe(topics.length);
    expect(index.delete('drover/v1/nodes/b/network')).toBe(true);
    expect(index.delete('drover/v1/nodes/b/network')).toBe(false);
    expect([...index.match('drover/v1/nodes/b/#')].map((p) => p.topic)).toEqual(['drover/v1/nodes/b/desired']);
    index.delete('drover/v1/nodes/b/desired');
    index.visited = 0;
    expect([...index.match('drover/v1/nodes/+/#')].map((p) => p.topic).sort()).toEqual(['drover/v1/nodes/a/desired', 'drover/v1/nodes/a/presence']);
    expect(index.visited).toBe(2);
    // a topic that is a prefix of another keeps its own message when the longer one goes
    index.delete('a//b');
    expect(index.get('a')?.payload).toBe('new');
    expect([...index.match('a/#')].map((p) => p.topic).sort()).toEqual(['a', 'a/']);
  });
});
