import { describe, expect, it } from 'vitest';
import * as errors from '../../agent/errors.js';
import { DroverError } from '../../protocol/errors.js';

describe('agent error catalogue', () => {
  it('has unique codes, all prefixed EAGENT_', () => {
    const codes = Object.values(errors.AGENT_ERROR_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^EAGENT_[A-Z_]+$/);
  });

  it('every error class is a DroverError with a catalogued code', () => {
    const samples: DroverError[] = [
      new errors.JoinRejectedError(),
      new errors.JoinRefusedError('no'),
      new errors.JoinTimeoutError('mqtt://h:1', 1000),
      new errors.HubUnreachableError('mqtt://h:1', { cause: new Error('ECONNREFUSED') }),
      new errors.NoCredentialsError('/x/credentials.json'),
      new errors.CredentialsCorruptError('/x', 'bad'),
      new errors.DesiredStateCorruptError('/x', 'bad'),
      new errors.ContainerRecordsCorruptError('/x', 'bad'),
      new errors.ContainerConfigError('bad'),
      new errors.PodNotFoundError('ns', 'p'),
      new errors.ContainerNotRunningError('bad'),
      new errors.InvalidOptionError('bad'),
      new errors.PublishTimeoutError('publish', 10),
      new errors.NotConnectedError('publish'),
    ];
    const catalogued = new Set<string>(Object.values(errors.AGENT_ERROR_CODES));
    for (const e of samples) {
      expect(e).toBeInstanceOf(DroverError);
      expect(catalogued.has(e.code)).toBe(true);
    }
    expect(new Set(samples.map((e) => e.code)).size).toBe(samples.length);
    expect(new errors.HubUnreachableError('mqtt://h:1', { cause: new Error('ECONNREFUSED') }).message).toBe('cannot reach the hub at mqtt://h:1: ECONNREFUSED');
  });
});
