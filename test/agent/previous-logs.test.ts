import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepLogEnd, keepPreviousLog, readPreviousLog } from '../../agent/previous-logs.js';
import { silentLogger } from '../../protocol/logger.js';
import { createFakeRuntime, type FakeRuntime } from '../../runtime-adapters/fake/fake.js';
import { tempDir } from './helpers.js';

describe('previous-logs', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let runtime: FakeRuntime;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    runtime = createFakeRuntime();
  });
  afterEach(async () => {
    await runtime.close();
    await cleanup();
  });

  it('keeps the end of a long log, from a line start', () => {
    expect(keepLogEnd('short\n', 10)).toBe('short\n');
    expect(keepLogEnd('aaaa\nbbbb\ncc\n', 8)).toBe('cc\n');
    // no line start in the kept part: the last bytes as they are
    expect(keepLogEnd('x'.repeat(20), 5)).toBe('xxxxx');
    const big = Array.from({ length: 200_000 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const kept = keepLogEnd(big);
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(1024 * 1024);
    expect(kept.endsWith('line 199999\n')).toBe(true);
    expect(kept).toMatch(/^line \d+\n/);
  });

  it('writes an empty previous log when the runtime cannot read the instance (there was one)', async () => {
    await keepPreviousLog(runtime, dir, { uid: 'u1', container: 'c', id: 'no-such-container' }, silentLogger());
    expect(await readPreviousLog(dir, 'u1', 'c')).toBe('');
    expect(await readPreviousLog(dir, 'u1', 'other')).toBeUndefined();
  });
});
