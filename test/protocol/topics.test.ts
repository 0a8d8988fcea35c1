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
  it('builds and parses stream topics: one down topic per node, one up topic per stream', () => {
    expect(topics.nodeStreams('pi-07')).toBe('drover/v1/nodes/pi-07/streams');
    expect(topics.nodeStream('pi-07', 'Ab_9-x')).toBe('drover/v1/nodes/pi-07/stream/Ab_9-x');
    expect(parseTopic(topics.nodeStreams('pi-07'))).toEqual({ kind: 'node', node: 'pi-07', channel: 'streams' });
    expect(parseTopic(topics.nodeStream('pi-07', 's1'))).toEqual({ kind: 'node', node: 'pi-07', channel: 'stream', streamId: 's1' });
    expect(topics.allNodesUp('stream')).toBe('drover/v1/nodes/+/stream/+');
    for (const t of ['drover/v1/nodes/a/stream', 'drover/v1/nodes/a/stream/a.b', 'drover/v1/nodes/a/stream/s/x', 'drover/v1/nodes/a/streams/s']) expect(parseTopic(t), t).toBeUndefined();
    expect(() => topics.nodeStream('pi-07', 'a/b')).toThrow(RangeError);
    expect(() => topics.nodeStream('pi-07', 'x'.repeat(65))).toThrow(RangeError);
  });
  it('refuses to build a topic for an invalid node name', () => {
    expect(() => topics.nodeStatus('a/b')).toThrow(RangeError);
    expect(() => topics.nodeStatus('#')).toThrow(RangeError);
  });
});
