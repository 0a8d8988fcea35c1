import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../protocol/logger.js';
import { createDiskMonitor } from '../../hub/disk-monitor.js';
import { parsePayloadLimit } from '../../hub/cli/commands/hub.js';

describe('hub disk monitor', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports DiskPressure when free space is under the threshold, and not otherwise', async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-disk-'));
    const tight = await createDiskMonitor({ path: dir, logger: silentLogger(), minFreeBytes: Number.MAX_SAFE_INTEGER });
    expect(tight.state().pressure).toBe(true);
    expect(tight.state().message).toMatch(/MiB free of \d+ MiB/);
    tight.stop();
    const roomy = await createDiskMonitor({ path: dir, logger: silentLogger(), minFreeBytes: 0, minFreeRatio: 0 });
    expect(roomy.state().pressure).toBe(false);
    expect(roomy.state().totalBytes).toBeGreaterThan(0);
    roomy.stop();
  });

  it('keeps the last state and says why when the path cannot be read', async () => {
    const m = await createDiskMonitor({ path: '/nonexistent/drover', logger: silentLogger() });
    expect(m.state().message).toMatch(/cannot read free space/);
    m.stop();
  });
});

describe('--max-mqtt-payload', () => {
  it('parses quantities and refuses tiny or bad limits', () => {
    expect(parsePayloadLimit('4Mi')).toBe(4 * 2 ** 20);
    expect(parsePayloadLimit('65536')).toBe(65536);
    expect(() => parsePayloadLimit('10')).toThrow(/at least 1Ki/);
    expect(() => parsePayloadLimit('lots')).toThrow(/invalid quantity/);
  });
});
