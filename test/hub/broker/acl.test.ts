import { describe, expect, it } from 'vitest';
import { checkPublish, checkPublishFlags, checkSubscribe, checkWill, MAX_HEARTBEAT_BYTES, MAX_PRESENCE_BYTES } from '../../../hub/broker/acl.js';
import { isValidJoinClientId, nodeNameFromUsername } from '../../../hub/broker/identity.js';
import { topicMatchesFilter } from '../../../hub/broker/topic-filter.js';

const nodeA = { kind: 'node', node: 'a' } as const;
const join1 = { kind: 'join', clientId: 'dev-1', tokenId: 't', token: 's' } as const;

describe('acl', () => {
  it('lets a node publish only its own up channels', () => {
    for (const ch of ['status', 'pods', 'presence', 'reply/r1']) expect(checkPublish(nodeA, `drover/v1/nodes/a/${ch}`)).toBeUndefined();
    for (const topic of [
      'drover/v1/nodes/b/status',
      'drover/v1/nodes/a/desired',
      'drover/v1/nodes/a/cmd',
      'drover/v1/nodes/a/reply',
      'drover/v1/nodes/a/status/extra',
      'drover/v1/join/a/request',
      '$SYS/x',
      'other',
    ]) {
      expect(checkPublish(nodeA, topic), topic).toBeTypeOf('string');
    }
  });

  it("lets a node publish on its own streams' up topics and read its own streams topic, not another node's", () => {
    expect(checkPublish(nodeA, 'drover/v1/nodes/a/stream/s1')).toBeUndefined();
    expect(checkSubscribe(nodeA, 'drover/v1/nodes/a/streams')).toBeUndefined();
    expect(checkPublish(nodeA, 'drover/v1/nodes/b/stream/s1')).toBe('topic belongs to node b');
    expect(checkPublish(nodeA, 'drover/v1/nodes/a/streams')).toBe('nodes may not publish on streams');
    expect(checkSubscribe(nodeA, 'drover/v1/nodes/b/streams')).toBe('topic belongs to node b');
    expect(checkSubscribe(nodeA, 'drover/v1/nodes/a/stream/s1')).toBe('nodes may not subscribe to stream');
    expect(checkPublishFlags('drover/v1/nodes/a/stream/s1', { retain: true, qos: 1, bytes: 10 })).toBeTypeOf('string');
  });

  it('lets a node subscribe only to its own desired and cmd, never with wildcards', () => {
    expect(checkSubscribe(nodeA, 'drover/v1/nodes/a/desired')).toBeUndefined();
    expect(checkSubscribe(nodeA, 'drover/v1/nodes/a/cmd')).toBeUndefined();
    for (const f of ['#', '+/#', 'drover/#', 'drover/v1/nodes/+/desired', 'drover/v1/nodes/a/+', 'drover/v1/nodes/b/desired', 'drover/v1/nodes/a/status']) {
      expect(checkSubscribe(nodeA, f), f).toBeTypeOf('string');
    }
  });

  it('confines join clients to their own request and reply', () => {
    expect(checkPublish(join1, 'drover/v1/join/dev-1/request')).toBeUndefined();
    expect(checkPublish(join1, 'drover/v1/join/dev-1/reply')).toBeTypeOf('string');
    expect(checkPublish(join1, 'drover/v1/join/dev-2/request')).toBeTypeOf('string');
    expect(checkSubscribe(join1, 'drover/v1/join/dev-1/reply')).toBeUndefined();
    expect(checkSubscribe(join1, 'drover/v1/join/dev-1/request')).toBeTypeOf('string');
    expect(checkSubscribe(join1, 'drover/v1/join/+/reply')).toBeTypeOf('string');
  });

  it('accepts only a small message on a node own presence as last will', () => {
    const will = (topic: string, bytes = 100) => ({ topic, retain: true, qos: 1, bytes });
    expect(checkWill(nodeA, undefined)).toBeUndefined();
    expect(checkWill(nodeA, will('drover/v1/nodes/a/presence'))).toBeUndefined();
    expect(checkWill(nodeA, will('drover/v1/nodes/a/presence', MAX_PRESENCE_BYTES + 1))).toMatch(/at most 1024 bytes/);
    expect(checkWill(nodeA, { ...will('drover/v1/nodes/a/presence'), qos: 2 })).toMatch(/QoS 2/);
    expect(checkWill(nodeA, will('drover/v1/nodes/a/status'))).toBeTypeOf('string');
    expect(checkWill(nodeA, will('drover/v1/nodes/b/presence'))).toBeTypeOf('string');
    expect(checkWill(join1, will('drover/v1/join/dev-1/request'))).toBeTypeOf('string');
  });

  it('allows a retained message only on presence, within its size; refuses QoS 2 everywhere', () => {
    const flags = (retain: boolean, bytes = 100, qos = 1) => ({ retain, qos, bytes });
    expect(checkPublishFlags('drover/v1/nodes/a/presence', flags(true))).toBeUndefined();
    expect(checkPublishFlags('drover/v1/nodes/a/presence', flags(true, MAX_PRESENCE_BYTES + 1))).toBeTypeOf('string');
    for (const ch of ['status', 'pods', 'heartbeat', 'reply/r1']) {
      expect(checkPublishFlags(`drover/v1/nodes/a/${ch}`, flags(true))).toMatch(/retained messages are allowed only/);
      expect(checkPublishFlags(`drover/v1/nodes/a/${ch}`, flags(false))).toBeUndefined();
    }
    expect(checkPublishFlags('drover/v1/join/dev-1/request', flags(true))).toBeTypeOf('string');
    // a zero-byte retained publish (MQTT's "clear") is refused too: there is nothing of the node's to clear
    expect(checkPublishFlags('drover/v1/nodes/a/reply/r1', flags(true, 0))).toBeTypeOf('string');
    expect(checkPublishFlags('drover/v1/nodes/a/status', flags(false, 100, 2))).toMatch(/QoS 2/);
    expect(checkPublishFlags('drover/v1/nodes/a/heartbeat', flags(false, MAX_HEARTBEAT_BYTES + 1))).toMatch(/heartbeat message may carry at most/);
    expect(checkPublishFlags('drover/v1/nodes/a/status', flags(false, 3_000_000))).toBeUndefined();
  });

  it('parses usernames and join client ids', () => {
    expect(nodeNameFromUsername('node:pi-1')).toBe('pi-1');
    expect(nodeNameFromUsername('node:Bad_Name')).toBeUndefined();
    expect(nodeNameFromUsername('join')).toBeUndefined();
    expect(isValidJoinClientId('mqttjs_1234abcd')).toBe(true);
    expect(isValidJoinClientId('node-a')).toBe(false);
    expect(isValidJoinClientId('a/b')).toBe(false);
    expect(isValidJoinClientId('a+')).toBe(false);
    expect(isValidJoinClientId('')).toBe(false);
  });
});

describe('topicMatchesFilter', () => {
  it.each([
    ['drover/v1/nodes/+/status', 'drover/v1/nodes/a/status', true],
    ['drover/v1/nodes/+/status', 'drover/v1/nodes/a/pods', false],
    ['drover/v1/nodes/+/reply/+', 'drover/v1/nodes/a/reply/x', true],
    ['drover/#', 'drover/v1/nodes/a/status', true],
    ['drover/#', 'drover', true],
    ['#', '$SYS/broker', false],
    ['a/b', 'a/b/c', false],
    ['a/b/c', 'a/b', false],
  ])('%s vs %s -> %s', (filter, topic, expected) => {
    expect(topicMatchesFilter(filter, topic)).toBe(expected);
  });
});
