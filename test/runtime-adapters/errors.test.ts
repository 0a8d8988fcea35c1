import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DroverError } from '../../protocol/errors.js';
import * as errors from '../../runtime-adapters/errors.js';

const README = resolve(import.meta.dirname, '../../runtime-adapters/README.md');

describe('runtime error catalogue', () => {
  const codes = Object.keys(errors.RUNTIME_ERROR_CODES);

  it('has unique codes, all ERUNTIME_<WHAT> in upper snake case, each with a one-line meaning', () => {
    expect(new Set(codes).size).toBe(codes.length);
    for (const c of codes) expect(c).toMatch(/^ERUNTIME_[A-Z]+(_[A-Z]+)*$/);
    for (const meaning of Object.values(errors.RUNTIME_ERROR_CODES)) {
      expect(meaning.trim().length).toBeGreaterThan(10);
      expect(meaning).not.toMatch(/\n/);
    }
  });

  it('every error class is a RuntimeError with a catalogued code, and every code has its class', () => {
    const samples: errors.RuntimeError[] = [
      new errors.RuntimeUnavailableError('docker', 'down'),
      new errors.ImageNotFoundError('docker', 'i', 'missing'),
      new errors.ImagePullError('docker', 'i', 'failed'),
      new errors.ContainerNotFoundError('docker', 'id'),
      new errors.ContainerExistsError('docker', 'name'),
      new errors.InvalidSpecError('docker', 'bad'),
      new errors.RuntimeCommandError('docker', 'bad', 1),
      new errors.RunAsRootError('docker', 'container has runAsNonRoot and image will run as root'),
      new errors.RuntimeNotFoundError('none'),
    ];
    for (const e of samples) {
      expect(e).toBeInstanceOf(DroverError);
      expect(codes).toContain(e.code);
    }
    expect(samples.map((e) => e.code).sort()).toEqual([...codes].sort());
    expect(new errors.ContainerExistsError('docker', 'web').code).toBe('ERUNTIME_CONTAINER_EXISTS');
  });

  it('runtime-adapters/README.md lists every code in its table, and no other', async () => {
    const readme = await readFile(README, 'utf8');
    const documented = [...readme.matchAll(/^\| `(ERUNTIME_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });
});
