import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NetworkSetCorruptError } from '../../../agent/errors.js';
import { createNetworkSetStore, NETWORK_FILE } from '../../../agent/link/network-set-store.js';
import { silentLogger } from '../../../protocol/logger.js';
import { topics } from '../../../protocol/topics.js';
import { networkSet, NODE, tempDir } from '../helpers.js';

const TOPIC = topics.nodeNetwork(NODE);

describe('network-set store', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());
  const store = () => createNetworkSetStore({ dataDir: dir, nodeName: NODE, logger: silentLogger() });

  it('stores an accepted set durably (0600, no temp files) before it is returned; a new store loads it', async () => {
    const s = store();
    const set = await s.receive(TOPIC, JSON.stringify(networkSet(4)));
    expect(set?.podCIDR).toBe('10.42.1.0/24');
    const path = join(dir, NETWORK_FILE);
    expect(JSON.parse(await readFile(path, 'utf8')).generation).toBe(4);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.includes('tmp'))).toEqual([]);
    expect((await store().load())?.generation).toBe(4);
  });

  it('generation only grows; the same set again is no change; a changed one at the same generation is', async () => {
    const s = store();
    expect(await s.receive(TOPIC, JSON.stringify(networkSet(5)))).toBeDefined();
    expect(await s.receive(TOPIC, JSON.stringify(networkSet(4, { podCIDR: '10.42.9.0/24' })))).toBeUndefined();
    expect(await s.receive(TOPIC, JSON.stringify({ ...networkSet(5), sentAt: new Date(1000).toISOString() }))).toBeUndefined();
    const peers = [{ node: 'b', podCIDR: '10.42.2.0/24', nodeIP: '192.0.2.2', vtepMAC: '0a:58:0a:2a:02:00' }];
    expect((await s.receive(TOPIC, JSON.stringify(networkSet(5, { peers }))))?.peers).toEqual(peers);
    expect(s.current()?.peers).toEqual(peers);
  });

  it("drops malformed sets and other nodes' sets", async () => {
    const s = store();
    expect(await s.receive(TOPIC, '{"v":1,"type":"networkSet"}')).toBeUndefined();
    expect(await s.receive(TOPIC, JSON.stringify(networkSet(1, { node: 'other' })))).toBeUndefined();
    expect(s.current()).toBeUndefined();
  });

  it('a corrupt file is a typed error for load() and moved aside by loadOrDiscard()', async () => {
    const path = join(dir, NETWORK_FILE);
    await writeFile(path, '{ torn');
    await expect(store().load()).rejects.toBeInstanceOf(NetworkSetCorruptError);
    expect(await store().loadOrDiscard()).toBeUndefined();
    expect(await readFile(`${path}.corrupt`, 'utf8')).toBe('{ torn');
    expect(await store().load()).toBeUndefined();
  });
});
