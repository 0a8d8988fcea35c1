import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDesiredStateStore, DESIRED_FILE } from '../../../agent/link/desired-state-store.js';
import { DesiredStateCorruptError } from '../../../agent/errors.js';
import { silentLogger } from '../../../protocol/logger.js';
import { topics } from '../../../protocol/topics.js';
import { desiredSet, makePod, NODE, tempDir } from '../helpers.js';

const TOPIC = topics.nodeDesired(NODE);
const payload = (gen: number, names: string[], node = NODE) => JSON.stringify(desiredSet(gen, names.map((n) => makePod(n)), node));

describe('desired-state store', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  const store = () => createDesiredStateStore({ dataDir: dir, nodeName: NODE, logger: silentLogger() });

  it('stores an accepted set on disk (0600, no temp files left) and a new store loads it', async () => {
    const s = store();
    const set = await s.receive(TOPIC, payload(3, ['a', 'b']));
    expect(set?.generation).toBe(3);
    const path = join(dir, DESIRED_FILE);
    expect(JSON.parse(await readFile(path, 'utf8')).pods).toHaveLength(2);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.includes('tmp'))).toEqual([]);
    const reloaded = await store().load();
    expect(reloaded?.generation).toBe(3);
    expect(reloaded?.pods.map((p) => p.metadata.name)).toEqual(['a', 'b']);
  });

  it('accepts an equal or newer generation, ignores an older one', async () => {
    const s = store();
    expect(await s.receive(TOPIC, payload(5, ['a']))).toBeDefined();
    expect(await s.receive(TOPIC, payload(4, ['old']))).toBeUndefined();
    expect(s.current()?.pods[0]?.metadata.name).toBe('a');
    // the same set again (a retained message redelivered) is no change
    expect(await s.receive(TOPIC, payload(5, ['a']))).toBeUndefined();
    expect((await s.receive(TOPIC, payload(5, ['a', 'c'])))?.pods).toHaveLength(2);
    expect((await s.receive(TOPIC, payload(6, [])))?.pods).toEqual([]);
    expect((await store().load())?.generation).toBe(6);
  });

  it('drops a malformed set or one for another node without touching the stored one', async () => {
    const s = store();
    await s.receive(TOPIC, payload(1, ['a']));
    expect(await s.receive(TOPIC, '{not json')).toBeUndefined();
    expect(await s.receive(TOPIC, JSON.stringify({ v: 1, type: 'desiredSet', node: NODE }))).toBeUndefined();
    expect(await s.receive(TOPIC, payload(9, ['x'], 'node-b'))).toBeUndefined();
    expect(s.current()?.generation).toBe(1);
    expect((await store().load())?.pods[0]?.metadata.name).toBe('a');
  });

  it('keeps arrival order when sets arrive together', async () => {
    const s = store();
    await Promise.all([s.receive(TOPIC, payload(1, ['a'])), s.receive(TOPIC, payload(2, ['b'])), s.receive(TOPIC, payload(3, ['c']))]);
    expect((await store().load())?.generation).toBe(3);
  });

  it('a corrupt file is a clear error from load() and is moved aside by loadOrDiscard()', async () => {
    await writeFile(join(dir, DESIRED_FILE), '{"v":1,"type":"desiredSet","node":"node-a","gen');
    const err = await store().load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DesiredStateCorruptError);
    expect((err as Error).message).toContain('desired.json is unreadable: payload is not JSON');
    const s = store();
    expect(await s.loadOrDiscard()).toBeUndefined();
    expect(await readdir(dir)).toContain(`${DESIRED_FILE}.corrupt`);
    // and the store still works afterwards
    expect(await s.receive(TOPIC, payload(1, ['a']))).toBeDefined();
  });

  it('a file that is JSON but not a desired set is corrupt too, naming the field', async () => {
    await writeFile(join(dir, DESIRED_FILE), JSON.stringify({ ...desiredSet(1, []), generation: 'x' }));
    await expect(store().load()).rejects.toThrow(/generation/);
  });

  it('a stored set of another node is ignored', async () => {
    await writeFile(join(dir, DESIRED_FILE), payload(2, ['a'], 'node-b'));
    expect(await store().load()).toBeUndefined();
  });
});
