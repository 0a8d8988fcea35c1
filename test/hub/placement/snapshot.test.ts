import { describe, expect, it } from 'vitest';
import { snapshotFromObjects } from '../../../hub/placement/snapshot.js';
import { makeNode, makePod } from './fixtures.js';

describe('snapshotFromObjects', () => {
  it('indexes bound pods by node and leaves unbound pods out', () => {
    const snap = snapshotFromObjects(
      [makeNode('a'), makeNode('b')],
      [makePod('x', { nodeName: 'a' }), makePod('y', { nodeName: 'a' }), makePod('z')],
    );
    expect(snap.nodes.map((n) => n.metadata.name)).toEqual(['a', 'b']);
    expect(snap.podsOnNode('a').map((p) => p.metadata.name)).toEqual(['x', 'y']);
    expect(snap.podsOnNode('b')).toEqual([]);
  });

  it('keeps running totals of requests and host ports, without finished pods', () => {
    const snap = snapshotFromObjects(
      [makeNode('a')],
      [
        makePod('x', { nodeName: 'a', cpu: '250m', memory: '64Mi', hostPort: 80 }),
        makePod('done', { nodeName: 'a', cpu: '4', phase: 'Succeeded', hostPort: 81 }),
      ],
    );
    const r = snap.requestedOnNode!('a');
    expect(r.cpuMillis).toBe(250);
    expect(r.memoryBytes).toBe(64 * 2 ** 20);
    expect(r.pods).toBe(1);
    expect([...r.hostPorts]).toEqual(['TCP/80']);
  });

  it('assume() adds a decision to the snapshot', () => {
    const snap = snapshotFromObjects([makeNode('a')], []);
    snap.assume(makePod('p', { cpu: '1' }), 'a');
    expect(snap.podsOnNode('a')[0]?.spec.nodeName).toBe('a');
    expect(snap.requestedOnNode!('a').cpuMillis).toBe(1000);
  });
});
