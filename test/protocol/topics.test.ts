import { describe, expect, it } from 'vitest';
import { parseTopic, topics } from '../../protocol/index.js';

describe('topics', () => {
  it('builds and parses node topics', () => {
    expect(topics.nodeDesired('pi-07')).toBe('drover/v1/nodes/pi-07/desired');
    expect(parseTopic(topics.nodeStatus('pi-07'))).toEqual({ kind: 'node', node: 'pi-07', channel: 'status' });
    expect(parseTopic(topics.nodeReply('pi-07', 'abc'))).toEqual({ kind: 'node', node: 'pi-07', channel: 'reply', requestId: 'abc' });
    expect(parseTopic(topics.joinRequest('join-x1'))).toEqual({ kind: 'join', clientId: 'join-x1', channel: 'request' });
  });
  it('rejects topics outside the layout', () => {
    for (const t of ['drover/v2/nodes/a/status', 'drover/v1/nodes/a/other', 'drover/v1/nodes/A_B/status', 'drover/v1/nodes/a/status/x',
      'drover/v1/nodes/a/reply', 'drover/v1/nodes/+/status', 'x']) {
      expect(parseTopic(t), t).toBeUndefined();
    }
  });
  it('refuses to build a topic for an invalid node name', () => {
    expect(() => topics.nodeStatus('a/b')).toThrow(RangeError);
    expect(() => topics.nodeStatus('#')).toThrow(RangeError);
  });
});
