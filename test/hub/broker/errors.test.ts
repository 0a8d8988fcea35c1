/**
 * The broker's error catalogue: every class a DroverError with a catalogued code, every code with its
 * class, and hub/broker/README.md's table listing exactly those codes.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../../../hub/broker/errors.js';
import { DroverError } from '../../../protocol/errors.js';

const README = resolve(import.meta.dirname, '../../../hub/broker/README.md');

describe('broker error catalogue', () => {
  const codes = Object.keys(errors.BROKER_ERROR_CODES);

  it('has unique codes, all EBROKER_<WHAT> in upper snake case, each with a one-line meaning', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^EBROKER_[A-Z]+(_[A-Z]+)*$/);
    for (const meaning of Object.values(errors.BROKER_ERROR_CODES)) {
      expect(meaning.trim().length).toBeGreaterThan(10);
      expect(meaning).not.toMatch(/\n/);
    }
  });

  it('every error class is a DroverError with a catalogued code, and every code has its class', () => {
    const samples: DroverError[] = [
      new errors.ConnectRefusedError('bad credentials'),
      new errors.PublishDeniedError('node-a', 'drover/v1/nodes/b/status', 'not its own node'),
      new errors.BrokerListenError('127.0.0.1', 1883),
      new errors.BrokerClosedError(),
      new errors.BrokerPublishError('drover/v1/nodes/a/desired'),
      new errors.QuotaExceededError('node-a', 'over 20 messages a second'),
      new errors.SlowClientError('node-a', '12 MiB waiting in its socket'),
    ];
    for (const e of samples) expect(e).toBeInstanceOf(DroverError);
    expect(samples.map((e) => e.code).sort()).toEqual([...codes].sort());
    expect(new errors.ConnectRefusedError('x').returnCode).toBe(errors.CONNACK.notAuthorized);
    expect(new errors.SlowClientError('node-a', 'too much waiting').message).toBe('client node-a disconnected: too much waiting');
  });

  it('hub/broker/README.md lists every code in its table, and no other', async () => {
    const readme = await readFile(README, 'utf8');
    const documented = [...readme.matchAll(/^\| `(EBROKER_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });
});
