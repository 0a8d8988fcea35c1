/**
 * The fleet's error catalogue: every class a DroverError with a catalogued code, every code with its
 * class, and hub/fleet/README.md's table listing exactly those codes. (Node restriction refuses fields
 * of a report without throwing: its refusals are counted, not errors.)
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../../../hub/fleet/errors.js';
import { DroverError } from '../../../protocol/errors.js';

const README = resolve(import.meta.dirname, '../../../hub/fleet/README.md');

describe('fleet error catalogue', () => {
  const codes = Object.keys(errors.FLEET_ERROR_CODES);

  it('has unique codes, all EFLEET_<WHAT> in upper snake case, each with a one-line meaning', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^EFLEET_[A-Z]+(_[A-Z]+)*$/);
    for (const meaning of Object.values(errors.FLEET_ERROR_CODES)) expect(meaning).not.toMatch(/\n/);
  });

  it('every error class is a DroverError with a catalogued code, and every code has its class', () => {
    const samples: DroverError[] = [
      new errors.JoinRefusedError('name taken'),
      new errors.NodeNotConnectedError('pi-1'),
      new errors.CommandTimeoutError('pi-1', 'logs', 30_000),
      new errors.CommandFailedError('pi-1', 'exec', 'no such container'),
      new errors.NodeCommandsStoppedError(),
      new errors.StreamFailedError('pi-1', 'container main of pod default/web has not been created yet'),
    ];
    for (const e of samples) expect(e).toBeInstanceOf(DroverError);
    expect(samples.map((e) => e.code).sort()).toEqual([...codes].sort());
    expect(new errors.CommandTimeoutError('pi-1', 'logs', 30_000).message).toBe('node "pi-1" did not answer the logs command within 30s');
  });

  it('hub/fleet/README.md lists every code in its table, and no other', async () => {
    const readme = await readFile(README, 'utf8');
    const documented = [...readme.matchAll(/^\| `(EFLEET_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });
});
