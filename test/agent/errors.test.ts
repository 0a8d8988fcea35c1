import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../../agent/errors.js';
import { DroverError } from '../../protocol/errors.js';

const README = resolve(import.meta.dirname, '../../agent/README.md');

describe('agent error catalogue', () => {
  const codes = Object.keys(errors.AGENT_ERROR_CODES);

  it('has unique codes, all EAGENT_<WHAT> in upper snake case, each with a one-line meaning', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^EAGENT_[A-Z]+(_[A-Z]+)*$/);
    for (const meaning of Object.values(errors.AGENT_ERROR_CODES)) {
      expect(meaning.trim().length).toBeGreaterThan(10);
      expect(meaning).not.toMatch(/\n/);
    }
  });

  it('every error class is a DroverError with a catalogued code, and every code has its class', () => {
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
      new errors.HubCaMismatchError('mqtts://h:8883', 'a'.repeat(64), []),
      new errors.InsecureHubError('bad'),
      new errors.NetworkSetCorruptError('/x', 'bad'),
      new errors.PodNetworkError('bad'),
      new errors.NetworkCommandError(['ip', 'link'], 'bad', 1),
      new errors.ServiceProxyError('bad'),
      new errors.DnsListenError('10.42.0.1', 53),
      new errors.VolumeInUseError('pvc-1', ['default/data']),
    ];
    const catalogued = new Set<string>(codes);
    for (const e of samples) {
      expect(e).toBeInstanceOf(DroverError);
      expect(e).toBeInstanceOf(errors.AgentError);
      expect(catalogued.has(e.code)).toBe(true);
    }
    expect(new Set(samples.map((e) => e.code)).size).toBe(samples.length);
    expect(samples.map((e) => e.code).sort()).toEqual([...codes].sort());
    expect(new errors.HubUnreachableError('mqtt://h:1', { cause: new Error('ECONNREFUSED') }).message).toBe('cannot reach the hub at mqtt://h:1: ECONNREFUSED');
  });

  it('agent/README.md lists every code in its table, and no other', async () => {
    const readme = await readFile(README, 'utf8');
    const documented = [...readme.matchAll(/^\| `(EAGENT_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });
});
