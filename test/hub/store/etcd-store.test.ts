import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { createEtcdStore, type EtcdStoreOptions } from '../../../hub/store/etcd-store.js';
import { ConflictError, RevisionCompactedError, StoreClosedError, StoreIOError } from '../../../hub/store/errors.js';
import type { Store, StoredObject } from '../../../hub/store/store.js';
import { collector, pod } from './helpers.js';
import { startEtcd, type EtcdServer } from './etcd-server.js';
import { describeStoreContract } from './store-contract.js';

type ConfigMap = StoredObject & { data: Record<string, string> };

let etcd: EtcdServer;
const opened: Store[] = [];
const freshPrefix = () => `/drover-test-${randomBytes(4).toString('hex')}/`;
const open = async (extra: Partial<EtcdStoreOptions> = {}): Promise<Store> => {
  const store = await createEtcdStore({ endpoints: [etcd.endpoint], logger: silentLogger(), prefix: freshPrefix(), ...extra });
  opened.push(store);
  return store;
};

beforeAll(async () => {
  etcd = await startEtcd();
}, 60_000);
afterAll(async () => {
  await etcd?.stop();
});
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
});

describeStoreContract('etcd', { open: (options) => open(options) });

describe('etcd store: several hubs on one etcd', () => {
  const podKey = (name: string) => ({ kind: 'Pod', namespace: 'default', name });

  it('a write through one store is read and watched through another on the same prefix', async () => {
    const prefix = freshPrefix();
    const a = await open({ prefix });
    const b = await open({ prefix });
    const c = collector();
    const w = b.watch({ kind: 'Pod', fromRevision: await b.revision() }, c.handler);
    const created = await a.create(pod('x'));
    expect(await b.get(podKey('x'))).toEqual(created);
    const [event] = await c.next(1);
    expect(event).toMatchObject({ type: 'ADDED', revision: Number(created.metadata.resourceVersion) });
    expect(event!.object).toEqual(created);
    w.close();
  });

  it('compare-and-swap holds across stores: the second writer of the same version gets ConflictError', async () => {
    const prefix = freshPrefix();
    const a = await open({ prefix });
    const b = await open({ prefix });
    const v1 = await a.create(pod('x'));
    await b.update({ ...v1, status: { phase: 'Running' } }, { expectedResourceVersion: v1.metadata.resourceVersion });
    await expect(a.update({ ...v1, status: { phase: 'Failed' } }, { expectedResourceVersion: v1.metadata.resourceVersion })).rejects.toBeInstanceOf(ConflictError);
  });

  it('concurrent read-modify-write updates without a version all land (none lost)', async () => {
    const prefix = freshPrefix();
    const stores = [await open({ prefix }), await open({ prefix })];
    await stores[0]!.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'n', namespace: 'default' }, data: {} });
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const s = stores[i % 2]!;
        for (let attempt = 0; ; attempt++) {
          const cur = (await s.get<ConfigMap>({ kind: 'ConfigMap', namespace: 'default', name: 'n' }))!;
          try {
            await s.update({ ...cur, data: { ...cur.data, [`k${i}`]: String(i) } }, { expectedResourceVersion: cur.metadata.resourceVersion! });
            return;
          } catch (err) {
            if (!(err instanceof ConflictError) || attempt > 50) throw err;
          }
        }
      }),
    );
    const final = await stores[1]!.get<ConfigMap>({ kind: 'ConfigMap', namespace: 'default', name: 'n' });
    expect(Object.keys(final!.data).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`).sort());
  });

  it('objects survive a reopen; the history before the reopen is replayed for watches, revisions never reused', async () => {
    const prefix = freshPrefix();
    const first = await open({ prefix });
    await first.create(pod('a'));
    const b = await first.create(pod('b'));
    await first.delete(podKey('b'));
    await first.close();
    const again = await open({ prefix });
    expect((await again.list('Pod')).items.map((p) => p.metadata.name)).toEqual(['a']);
    const c = collector();
    const w = again.watch({ kind: 'Pod', fromRevision: Number(b.metadata.resourceVersion) - 1 }, c.handler);
    const d = await again.create(pod('d'));
    expect((await c.next(3)).map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'b'],
      ['DELETED', 'b'],
      ['ADDED', 'd'],
    ]);
    expect(Number(d.metadata.resourceVersion)).toBeGreaterThan(Number(b.metadata.resourceVersion) + 1);
    w.close();
  });

  it('bumpRevision moves the revision forward and older watches get RevisionCompactedError', async () => {
    const store = await open();
    const before = await store.revision();
    const after = await store.bumpRevision(before + 20);
    expect(after).toBeGreaterThanOrEqual(before + 20);
    expect(() => store.watch({ fromRevision: before }, () => undefined)).toThrow(RevisionCompactedError);
    const created = await store.create(pod('p'));
    expect(Number(created.metadata.resourceVersion)).toBeGreaterThan(after);
  });

  it('etcd down: calls fail with StoreIOError naming etcd; back up, the store and its watches carry on', async () => {
    const store = await open({ callTimeoutMs: 1500 });
    const c = collector();
    const w = store.watch({ kind: 'Pod', fromRevision: await store.revision() }, c.handler);
    await store.create(pod('before'));
    await c.next(1);
    await etcd.kill();
    try {
      const err = await store.create(pod('during')).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StoreIOError);
      expect((err as Error).message).toMatch(/^etcd create failed \(http:\/\/127\.0\.0\.1:\d+\)/);
    } finally {
      await etcd.restart();
    }
    await expect.poll(async () => store.create(pod('after')).then(() => true, () => false), { timeout: 30_000, interval: 500 }).toBe(true);
    const events = await c.next(2);
    expect(events.map((e) => e.object.metadata.name)).toEqual(['before', 'after']);
    w.close();
  }, 60_000);

  it('after close(), calls fail with StoreClosedError', async () => {
    const store = await open();
    await store.close();
    await expect(store.list('Pod')).rejects.toBeInstanceOf(StoreClosedError);
    expect(() => store.watch({}, () => undefined)).toThrow(StoreClosedError);
  });
});
