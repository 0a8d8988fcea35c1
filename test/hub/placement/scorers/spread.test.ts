import { describe, expect, it } from 'vitest';
import { isPeer, spread } from '../../../../hub/placement/scorers/spread.js';
import { snapshotFromObjects } from '../../../../hub/placement/snapshot.js';
import { makeNode, makePod } from '../fixtures.js';

describe('spread scorer', () => {
  it('peers: same controller owner, else same labels, same namespace only', () => {
    const web = makePod('p', { owner: 'web', labels: { app: 'web' } });
    expect(isPeer(web, makePod('a', { owner: 'web' }))).toBe(true);
    expect(isPeer(web, makePod('b', { owner: 'api', labels: { app: 'web' } }))).toBe(false);
    expect(isPeer(web, makePod('c', { owner: 'web', namespace: 'other' }))).toBe(false);
    const loose = makePod('q', { labels: { app: 'db' } });
    expect(isPeer(loose, makePod('d', { labels: { app: 'db', tier: 'x' } }))).toBe(true);
    expect(isPeer(loose, makePod('e', { labels: { app: 'web' } }))).toBe(false);
    expect(isPeer(makePod('bare'), makePod('f'))).toBe(false);
  });

  it('counts peers on the node, then normalizes: most peers 0, none 100', () => {
    const nodes = ['a', 'b', 'c'].map((n) => makeNode(n));
    const pods = [
      makePod('w1', { nodeName: 'a', owner: 'web' }),
      makePod('w2', { nodeName: 'a', owner: 'web' }),
      makePod('w3', { nodeName: 'b', owner: 'web' }),
      makePod('x1', { nodeName: 'c', owner: 'other' }),
    ];
    const snap = snapshotFromObjects(nodes, pods);
    const pod = makePod('w4', { owner: 'web' });
    const raw = nodes.map((n) => spread.score(pod, n, snap));
    expect(raw).toEqual([2, 1, 0]);
    expect(spread.normalize!(raw)).toEqual([0, 50, 100]);
  });

  it('all nodes score 100 when there are no peers anywhere', () => {
    expect(spread.normalize!([0, 0, 0])).toEqual([100, 100, 100]);
  });

  it('finished peers do not count', () => {
    const node = makeNode('a');
    const snap = snapshotFromObjects([node], [makePod('w1', { nodeName: 'a', owner: 'web', phase: 'Failed' })]);
    expect(spread.score(makePod('w2', { owner: 'web' }), node, snap)).toBe(0);
  });
});
