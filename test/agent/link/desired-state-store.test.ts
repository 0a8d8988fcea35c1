import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDesiredStateStore, DESIRED_FILE } from '../../../agent/link/desired-state-store.js';
import { DesiredStateCorruptError } from '../../../agent/errors.js';
import { silentLogger } from '../../../protocol/logger.js';
import { topics } from '../../../protocol/topics.js';
import { sealStateFile } from '../../../agent/state-file.js';
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
    const [seal, ...rest] = (await readFile(path, 'utf8')).split('\n');
    expect(seal).toMatch(/^drover-state v1 sha256:[0-9a-f]{64} bytes:\d+$/);
    expect(JSON.parse(rest.join('\n')).pods).toHaveLength(2);
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

  it('a sealed file damaged in a way that still parses (a digit changed) is corrupt, not run', async () => {
    await store().receive(TOPIC, payload(7, ['a']));
    const path = join(dir, DESIRED_FILE);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"generation":7', '"generation":8'));
    await expect(store().load()).rejects.toThrow(/does not match its checksum/);
  });

  it('a sealed file cut short is corrupt, saying so', async () => {
    await store().receive(TOPIC, payload(7, ['a', 'b']));
    const path = join(dir, DESIRED_FILE);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, text.length - 40));
    await expect(store().load()).rejects.toThrow(/cut or extended/);
    await writeFile(path, 'drover-state v1 sha256:zz');
    await expect(store().load()).rejects.toThrow(/seal line/);
  });

  it('an unsealed file (an older agent) still loads, and the next set stored is sealed', async () => {
    await writeFile(join(dir, DESIRED_FILE), payload(2, ['a']));
    const s = store();
    expect((await s.load())?.generation).toBe(2);
    await s.receive(TOPIC, payload(3, ['a']));
    expect(await readFile(join(dir, DESIRED_FILE), 'utf8')).toMatch(/^drover-state v1 /);
    expect(sealStateFile('x')).toMatch(/bytes:1\nx$/);
  });

  it('a set split into parts is stored and returned only once every part is in, in any order', async () => {
    const asked: number[] = [];
    const s = createDesiredStateStore({ dataDir: dir, nodeName: NODE, logger: silentLogger(), onParts: (n) => asked.push(n) });
    await s.receive(TOPIC, payload(1, ['old']));
    const part = (i: number, names: string[]) => JSON.stringify({ ...desiredSet(4, names.map((n) => makePod(n))), part: i, parts: 3 });
    expect(await s.receive(topics.nodeDesiredPart(NODE, 2), part(2, ['c']))).toBeUndefined();
    expect(await s.receive(TOPIC, part(0, ['a']))).toBeUndefined();
    expect(s.current()?.generation).toBe(1);
    expect((await store().load())?.generation).toBe(1);
    // a part on the topic of another part is not taken
    expect(await s.receive(topics.nodeDesiredPart(NODE, 2), part(1, ['b']))).toBeUndefined();
    const whole = await s.receive(topics.nodeDesiredPart(NODE, 1), part(1, ['b']));
    expect(whole?.generation).toBe(4);
    expect(whole?.pods.map((p) => p.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(whole).not.toHaveProperty('part');
    expect(asked).toContain(3);
    const reloaded = await store().load();
    expect(reloaded?.pods).toHaveLength(3);
    // an empty retained message (the hub clearing a part topic) is nothing
    expect(await s.receive(topics.nodeDesiredPart(NODE, 2), '')).toBeUndefined();
  });
});
