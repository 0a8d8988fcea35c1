import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredObject } from '../../../hub/store/store.js';
import { openStore, tempDir } from './helpers.js';

const writer = fileURLToPath(new URL('./fixtures/durable-writer.ts', import.meta.url));
let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir('drover-durable-')));
afterEach(async () => cleanup());

describe('durability', () => {
  it('every write acknowledged before SIGKILL is present after reopening', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, join(dir, 'state.db'), '100000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acknowledged: string[] = [];
    const lines = createInterface({ input: child.stdout! });
    const exited = once(child, 'exit');
    for await (const line of lines) {
      if (line === 'done') break;
      acknowledged.push(line);
      // kill somewhere in the middle of a stream of writes, not at a quiet moment
      if (acknowledged.length === 300) child.kill('SIGKILL');
    }
    const [code, signal] = (await exited) as [number | null, string | null];
    expect(signal).toBe('SIGKILL');
    expect(code).toBeNull();
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);

    const store = await openStore(dir);
    try {
      const stored = new Set((await store.list('ConfigMap', { namespace: 'default' })).items.map((o) => o.metadata.name));
      const missing = acknowledged.filter((name) => !stored.has(name));
      expect(missing).toEqual([]);
      // nothing beyond what was written in order: names are a prefix cm-0..cm-(n-1)
      expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length);
      for (let i = 0; i < stored.size; i++) expect(stored.has(`cm-${i}`)).toBe(true);
      expect(await store.revision()).toBe(stored.size);
      // the reopened store keeps working after the crash
      const next = await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after', namespace: 'default' } } as StoredObject);
      expect(next.metadata.resourceVersion).toBe(String(stored.size + 1));
    } finally {
      await store.close();
    }
  });
});
