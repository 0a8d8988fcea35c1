import { describe, expect, it } from 'vitest';
import { decodeMessage, desiredSetMessageSchema, MessageError, presenceMessageSchema } from '../../protocol/index.js';

const topic = 'drover/v1/nodes/n1/presence';

describe('decodeMessage', () => {
  it('accepts a valid envelope', () => {
    const m = decodeMessage(presenceMessageSchema, topic, JSON.stringify({ v: 1, type: 'presence', sentAt: 'now', state: 'online' }));
    expect(m.state).toBe('online');
  });
  it('rejects non-JSON, wrong version, wrong type and extra fields with MessageError', () => {
    const bad = ['{not json', JSON.stringify({ v: 2, type: 'presence', sentAt: 'x', state: 'online' }),
      JSON.stringify({ v: 1, type: 'nodeStatus', sentAt: 'x', state: 'online' }),
      JSON.stringify({ v: 1, type: 'presence', sentAt: 'x', state: 'online', extra: 1 }), '', 'null', '[]'];
    for (const payload of bad) expect(() => decodeMessage(presenceMessageSchema, topic, payload), payload).toThrow(MessageError);
  });
  it('refuses oversized payloads before parsing', () => {
    expect(() => decodeMessage(presenceMessageSchema, topic, Buffer.alloc(100, 32), 10)).toThrow(/exceeds the limit/);
  });
  it('validates the pods inside a desired set', () => {
    const msg = { v: 1, type: 'desiredSet', sentAt: 'x', node: 'n1', generation: 3, pods: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i', bogus: 1 }] } }] };
    expect(() => decodeMessage(desiredSetMessageSchema, topic, JSON.stringify(msg))).toThrow(/pods\.0\.spec\.containers\.0/);
  });
});
