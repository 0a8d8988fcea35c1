/**
 * Hub crash safety: kill -9 of the hub while a client creates ConfigMaps concurrently, 20 times on the
 * same data dir. After each restart every create the API acknowledged (201) is there, with its data.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminToken, api, cleanup, figure, kill9, startHub, type TestHub } from './support.js';

const ROUNDS = 20;
const WRITERS = 4;

interface ConfigMapList {
  items: { metadata: { name: string }; data?: Record<string, string> }[];
}

describe('hub kill -9 with API writes in flight', () => {
  let base: string | undefined;
  let hub: TestHub | undefined;

  afterAll(async () => {
    await hub?.stop();
    if (base) await cleanup(base);
  });

  it(`keeps every acknowledged ConfigMap across ${ROUNDS} kill -9 restarts`, async () => {
    base = await mkdtemp(join(tmpdir(), 'drover-chaos-kill-'));
    const acknowledged = new Map<string, string>();
    let attempted = 0;
    let failed = 0;
    let lost = 0;
    for (let round = 0; round < ROUNDS; round++) {
      hub = await startHub([], base);
      const current = hub;
      const token = await adminToken(current);

      // every acknowledged object from all earlier rounds is there, with its data
      const list = await api<ConfigMapList>(current, token, 'GET', '/api/v1/namespaces/default/configmaps');
      expect(list.status).toBe(200);
      const present = new Map(list.body.items.map((c) => [c.metadata.name, c.data?.round]));
      const missing = [...acknowledged].filter(([name, r]) => present.get(name) !== r);
      lost += missing.length;
      expect(missing, `acknowledged creates missing after restart ${round}`).toEqual([]);

      // writers create ConfigMaps as fast as they can; the hub is killed after a random moment
      let stop = false;
      const writer = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const name = `ch-kill-${round}-${w}-${i}`;
          attempted++;
          try {
            const r = await api(current, token, 'POST', '/api/v1/namespaces/default/configmaps', {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name },
              data: { round: String(round) },
            });
            if (r.status === 201) acknowledged.set(name, String(round));
            else failed++;
          } catch {
            failed++; // the connection died with the hub: not acknowledged
            return;
          }
        }
      };
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
      await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 600)));
      await kill9(current.proc);
      stop = true;
      await Promise.all(writers);
    }

    hub = await startHub([], base);
    const token = await adminToken(hub);
    const list = await api<ConfigMapList>(hub, token, 'GET', '/api/v1/namespaces/default/configmaps');
    const present = new Map(list.body.items.map((c) => [c.metadata.name, c.data?.round]));
    const missing = [...acknowledged].filter(([name, r]) => present.get(name) !== r);
    lost += missing.length;
    figure('hub-kill9.rounds', ROUNDS);
    figure('hub-kill9.creates-attempted', attempted);
    figure('hub-kill9.creates-acknowledged', acknowledged.size);
    figure('hub-kill9.creates-unacknowledged', failed);
    figure('hub-kill9.objects-present-at-end', present.size);
    figure('hub-kill9.acknowledged-lost', lost);
    expect(missing).toEqual([]);
    expect(acknowledged.size).toBeGreaterThan(ROUNDS);
  }, 300_000);
});
