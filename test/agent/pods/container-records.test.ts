import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONTAINER_RECORDS_FILE, createContainerRecords } from '../../../agent/pods/container-records.js';
import { silentLogger } from '../../../protocol/logger.js';
import { tempDir } from '../helpers.js';

describe('container records', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  const make = () => createContainerRecords({ dataDir: dir, logger: silentLogger() });

  it('persists restart counts and back-off across instances', async () => {
    const a = make();
    await a.load();
    const rec = a.get('uid-1', 'main');
    rec.restartCount = 4;
    rec.backoffMs = 80_000;
    rec.lastTerminated = { exitCode: 3, reason: 'Error' };
    await a.save();
    const b = make();
    await b.load();
    expect(b.peek('uid-1', 'main')).toMatchObject({ restartCount: 4, backoffMs: 80_000, lastTerminated: { exitCode: 3 } });
    b.forgetPod('uid-1');
    await b.save();
    const c = make();
    await c.load();
    expect(c.peek('uid-1', 'main')).toBeUndefined();
  });

  it('moves a corrupt file aside and starts empty', async () => {
    await writeFile(join(dir, CONTAINER_RECORDS_FILE), '[[[');
    const r = make();
    await r.load();
    expect(r.podUids()).toEqual([]);
    expect(await readdir(dir)).toContain(`${CONTAINER_RECORDS_FILE}.corrupt`);
  });
});
