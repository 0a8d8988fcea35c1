/**
 * The Store contract, run against every backend (sqlite-store.test.ts, etcd-store.test.ts): what the hub relies on
 * whatever holds its state. Revisions are counted from the store's revision at open (`rev(n)`): etcd's revision is
 * global and starts wherever the etcd is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../protocol/errors.js';
import { AlreadyExistsError, ConflictError, NotFoundError, RevisionCompactedError } from '../../../hub/store/errors.js';
import type { RawWatchEvent, Store, StoredObject } from '../../../hub/store/store.js';
import { collector, pod, settle } from './helpers.js';

export interface StoreBackend {
  /** A fresh, empty store (a new file, a new etcd prefix). */
  open(options: { clock?: () => number; uid?: () => string; historyLimit?: number }): Promise<Store>;
}

const T0 = Date.UTC(2026, 0, 2, 3, 4, 5);

export function describeStoreContract(name: string, backend: StoreBackend): void {
  describe(`Store contract: ${name}`, () => {
  let store: Store;
  let now = T0;
  let uids = 0;
  let r0 = 0;
  /** The revision n writes after the store opened, and as a resourceVersion. */
  const rev = (n: number): number => r0 + n;
  const rv = (n: number): string => String(r0 + n);

  beforeEach(async () => {
    now = T0;
    uids = 0;
    store = await backend.open({ clock: () => now, uid: () => `uid-${++uids}` });
    r0 = await store.revision();
  });
  afterEach(async () => {
    await store.close();
  });

  const podKey = (name: string, namespace = 'default') => ({ kind: 'Pod', namespace, name });

  describe('create / get / update / delete', () => {
    it('create sets uid, resourceVersion, creationTimestamp and generation', async () => {
      const created = await store.create(pod('a'));
      expect(created.metadata).toMatchObject({
        name: 'a',
        namespace: 'default',
        uid: 'uid-1',
        resourceVersion: rv(1),
        creationTimestamp: new Date(T0).toISOString(),
        generation: 1,
      });
      expect(await store.get(podKey('a'))).toEqual(created);
      expect(await store.revision()).toBe(rev(1));
    });

    it('keeps a caller-supplied uid and overrides a caller-supplied resourceVersion and generation', async () => {
      const input = pod('a');
      input.metadata.uid = 'mine';
      input.metadata.resourceVersion = '999';
      input.metadata.generation = 7;
      const created = await store.create(input);
      expect(created.metadata.uid).toBe('mine');
      expect(created.metadata.resourceVersion).toBe(rv(1));
      expect(created.metadata.generation).toBe(1);
    });

    it('refuses a duplicate with AlreadyExistsError and does not bump the revision', async () => {
      await store.create(pod('a'));
      await expect(store.create(pod('a'))).rejects.toBeInstanceOf(AlreadyExistsError);
      expect(await store.revision()).toBe(rev(1));
      // same name in another namespace, and a cluster-scoped kind, are different keys
      await store.create(pod('a', { namespace: 'other' }));
      await store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'a' } });
      expect((await store.get({ kind: 'Node', namespace: '', name: 'a' }))?.metadata.resourceVersion).toBe(rv(3));
    });

    it('update keeps uid and creationTimestamp and gives a new resourceVersion', async () => {
      const created = await store.create(pod('a'));
      now = T0 + 60_000;
      const next = structuredClone(created);
      next.metadata.uid = 'tampered';
      next.metadata.creationTimestamp = '2000-01-01T00:00:00.000Z';
      (next.spec as { containers: Array<{ image: string }> }).containers[0]!.image = 'x:2';
      const updated = await store.update(next);
      expect(updated.metadata.uid).toBe(created.metadata.uid);
      expect(updated.metadata.creationTimestamp).toBe(created.metadata.creationTimestamp);
      expect(updated.metadata.resourceVersion).toBe(rv(2));
      expect(await store.get(podKey('a'))).toEqual(updated);
    });

    it('update and delete of a missing object throw NotFoundError', async () => {
      await expect(store.update(pod('nope'))).rejects.toBeInstanceOf(NotFoundError);
      await expect(store.delete(podKey('nope'))).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.revision()).toBe(rev(0));
    });

    it('delete returns the object with the delete revision as its resourceVersion', async () => {
      await store.create(pod('a'));
      await store.create(pod('b'));
      const deleted = await store.delete(podKey('a'));
      expect(deleted.metadata.name).toBe('a');
      expect(deleted.metadata.resourceVersion).toBe(rv(3));
      expect(await store.get(podKey('a'))).toBeUndefined();
      expect(await store.get(podKey('b'))).toBeDefined();
    });

    it('returns copies: mutating results or inputs does not change stored state', async () => {
      const input = pod('a', { labels: { app: 'web' } });
      const created = await store.create(input);
      input.metadata.labels!.app = 'changed-input';
      created.metadata.labels!.app = 'changed-result';
      const got = (await store.get(podKey('a')))!;
      expect(got.metadata.labels).toEqual({ app: 'web' });
      got.metadata.labels!.app = 'changed-get';
      const listed = await store.list('Pod');
      expect(listed.items[0]!.metadata.labels).toEqual({ app: 'web' });
    });

    it('rejects an object without a name or generateName', async () => {
      const bad = { ...pod('a'), metadata: { namespace: 'default' } } as unknown as StoredObject;
      await expect(store.create(bad)).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('compare-and-swap', () => {
    it('update with a stale expectedResourceVersion fails with ConflictError; the current one succeeds', async () => {
      const v1 = await store.create(pod('a'));
      const v2 = await store.update({ ...v1, status: { phase: 'Running' } }, { expectedResourceVersion: v1.metadata.resourceVersion });
      expect(v2.metadata.resourceVersion).toBe(rv(2));
      const stale = store.update({ ...v1, status: { phase: 'Failed' } }, { expectedResourceVersion: v1.metadata.resourceVersion });
      await expect(stale).rejects.toBeInstanceOf(ConflictError);
      await expect(stale).rejects.toMatchObject({ code: 'ESTORE_CONFLICT', expected: rv(1), actual: rv(2) });
      expect(((await store.get(podKey('a')))!.status as { phase: string }).phase).toBe('Running');
    });

    it('delete with a stale expectedResourceVersion fails with ConflictError and keeps the object', async () => {
      const v1 = await store.create(pod('a'));
      await store.update({ ...v1, status: { phase: 'Running' } });
      await expect(store.delete(podKey('a'), { expectedResourceVersion: rv(1) })).rejects.toBeInstanceOf(ConflictError);
      expect(await store.get(podKey('a'))).toBeDefined();
      await store.delete(podKey('a'), { expectedResourceVersion: rv(2) });
      expect(await store.get(podKey('a'))).toBeUndefined();
    });
  });

  describe('generation', () => {
    it('does not change for status or metadata changes, goes up for spec changes', async () => {
      const v1 = await store.create(pod('a'));
      const v2 = await store.update({ ...v1, status: { phase: 'Running' } });
      expect(v2.metadata.generation).toBe(1);
      const v3 = await store.update({ ...v2, metadata: { ...v2.metadata, labels: { a: 'b' }, annotations: { x: 'y' } } });
      expect(v3.metadata.generation).toBe(1);
      const v4 = await store.update({ ...v3, spec: { containers: [{ name: 'c', image: 'other:1' }] } });
      expect(v4.metadata.generation).toBe(2);
      // a top-level field other than spec counts too (ConfigMap data)
      const cm = await store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: '1' } } as StoredObject);
      expect((await store.update({ ...cm, data: { a: '2' } })).metadata.generation).toBe(2);
    });

    it('ignores a caller-supplied generation', async () => {
      const v1 = await store.create(pod('a'));
      const v2 = await store.update({ ...v1, metadata: { ...v1.metadata, generation: 42 } });
      expect(v2.metadata.generation).toBe(1);
    });

    it('an update that changes nothing writes nothing: same resourceVersion, no revision, no event', async () => {
      const v1 = await store.create(pod('a', { labels: { a: '1', b: '2' } }));
      const c = collector();
      const watch = store.watch({}, c.handler);
      // same content, keys in another order
      const reordered: StoredObject = { metadata: { labels: { b: '2', a: '1' }, ...v1.metadata }, spec: v1.spec, kind: 'Pod', apiVersion: 'v1' };
      const v2 = await store.update(reordered);
      expect(v2.metadata.resourceVersion).toBe(rv(1));
      expect(await store.revision()).toBe(rev(1));
      await settle();
      expect(c.events).toHaveLength(0);
      watch.close();
    });
  });

  describe('generateName', () => {
    it('appends 5 random [a-z0-9] characters and gives distinct names', async () => {
      const input = { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-', namespace: 'default' }, spec: {} } as unknown as StoredObject;
      const a = await store.create(input);
      const b = await store.create(input);
      expect(a.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(b.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
      expect(a.metadata.name).not.toBe(b.metadata.name);
      expect(a.metadata.generateName).toBe('web-');
      expect(await store.get(podKey(a.metadata.name))).toEqual(a);
    });

    it('an explicit name wins over generateName', async () => {
      const created = await store.create({ ...pod('exact'), metadata: { name: 'exact', generateName: 'web-', namespace: 'default' } });
      expect(created.metadata.name).toBe('exact');
    });
  });

  describe('list', () => {
    beforeEach(async () => {
      await store.create(pod('a', { labels: { app: 'web', tier: 'front' }, nodeName: 'n1', phase: 'Running' }));
      await store.create(pod('b', { labels: { app: 'web' }, phase: 'Pending' }));
      await store.create(pod('c', { namespace: 'kube', labels: { app: 'db' }, nodeName: 'n2', phase: 'Running' }));
      await store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
    });
    const names = (r: { items: StoredObject[] }) => r.items.map((o) => o.metadata.name);

    it('lists one kind across namespaces, sorted by namespace then name, with the current revision', async () => {
      const r = await store.list('Pod');
      expect(names(r)).toEqual(['a', 'b', 'c']);
      expect(r.revision).toBe(rev(4));
      expect(names(await store.list('Node'))).toEqual(['n1']);
      expect(names(await store.list('Service'))).toEqual([]);
    });

    it('filters by namespace', async () => {
      expect(names(await store.list('Pod', { namespace: 'kube' }))).toEqual(['c']);
      expect(names(await store.list('Pod', { namespace: 'none' }))).toEqual([]);
    });

    it('filters by label selector', async () => {
      expect(names(await store.list('Pod', { labelSelector: { matchLabels: { app: 'web' } } }))).toEqual(['a', 'b']);
      expect(
        names(await store.list('Pod', { labelSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } })),
      ).toEqual(['b', 'c']);
    });

    it('filters by field selector, spec.nodeName "" meaning unscheduled', async () => {
      expect(names(await store.list('Pod', { fieldSelector: { 'spec.nodeName': 'n1' } }))).toEqual(['a']);
      expect(names(await store.list('Pod', { fieldSelector: { 'spec.nodeName': '' } }))).toEqual(['b']);
      expect(names(await store.list('Pod', { fieldSelector: { 'status.phase': 'Running' } }))).toEqual(['a', 'c']);
      expect(names(await store.list('Pod', { fieldSelector: { 'metadata.name': 'c' } }))).toEqual(['c']);
      expect(names(await store.list('Pod', { fieldSelector: { 'metadata.namespace': 'default', 'status.phase': 'Running' } }))).toEqual(['a']);
    });

    it('combines label and field selectors', async () => {
      const r = await store.list('Pod', { labelSelector: { matchLabels: { app: 'web' } }, fieldSelector: { 'status.phase': 'Pending' } });
      expect(names(r)).toEqual(['b']);
    });

    it('rejects an unsupported field selector with ValidationError', async () => {
      await expect(store.list('Pod', { fieldSelector: { 'spec.hostname': 'x' } })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  describe('watch', () => {
    it('replays history after fromRevision, then delivers live events in revision order', async () => {
      await store.create(pod('a'));
      const b = await store.create(pod('b'));
      await store.update({ ...b, status: { phase: 'Running' } });
      const c = collector();
      const w = store.watch({ fromRevision: rev(1) }, c.handler);
      await c.next(2);
      await store.delete(podKey('a'));
      await store.create(pod('d'));
      const events = await c.next(4);
      expect(events.map((e) => [e.type, e.object.metadata.name, e.revision])).toEqual([
        ['ADDED', 'b', rev(2)],
        ['MODIFIED', 'b', rev(3)],
        ['DELETED', 'a', rev(4)],
        ['ADDED', 'd', rev(5)],
      ]);
      for (const e of events) expect(e.object.metadata.resourceVersion).toBe(String(e.revision));
      w.close();
    });

    it('from revision 0 replays everything; without fromRevision only live changes', async () => {
      await store.create(pod('a'));
      const all = collector();
      const live = collector();
      const w1 = store.watch({ fromRevision: 0 }, all.handler);
      const w2 = store.watch({}, live.handler);
      await store.create(pod('b'));
      await all.next(2);
      await live.next(1);
      await settle();
      expect(all.events.map((e) => e.object.metadata.name)).toEqual(['a', 'b']);
      expect(live.events.map((e) => e.object.metadata.name)).toEqual(['b']);
      w1.close();
      w2.close();
    });

    it('filters by kind and namespace, in replay and live', async () => {
      await store.create(pod('a'));
      await store.create(pod('k', { namespace: 'kube' }));
      await store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } });
      const c = collector();
      const w = store.watch({ kind: 'Pod', namespace: 'kube', fromRevision: 0 }, c.handler);
      await store.create(pod('k2', { namespace: 'kube' }));
      await store.create(pod('a2'));
      await store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2' } });
      await c.next(2);
      await settle();
      expect(c.events.map((e) => e.object.metadata.name)).toEqual(['k', 'k2']);
      w.close();
    });

    it('a throwing handler does not break other watchers or the writer, and keeps receiving', async () => {
      let calls = 0;
      const bad = store.watch({}, () => {
        calls++;
        throw new Error('boom');
      });
      const asyncBad = store.watch({}, async () => {
        throw new Error('async boom');
      });
      const good = collector();
      const w = store.watch({}, good.handler);
      await store.create(pod('a'));
      await store.create(pod('b'));
      await good.next(2);
      await settle();
      expect(calls).toBe(2);
      expect(good.events.map((e) => e.object.metadata.name)).toEqual(['a', 'b']);
      bad.close();
      asyncBad.close();
      w.close();
    });

    it('gives each watcher its own copy of the object', async () => {
      const a = collector();
      const b = collector();
      const w1 = store.watch({}, (e) => {
        e.object.metadata.name = 'mutated';
        a.handler(e);
      });
      const w2 = store.watch({}, b.handler);
      await store.create(pod('x'));
      await a.next(1);
      await b.next(1);
      expect(b.events[0]!.object.metadata.name).toBe('x');
      w1.close();
      w2.close();
    });

    it('watchJson delivers the recorded JSON text, the same string to every raw watcher, with history first', async () => {
      await store.create(pod('a'));
      const raw1: RawWatchEvent[] = [];
      const raw2: RawWatchEvent[] = [];
      const w1 = store.watchJson({ kind: 'Pod', fromRevision: 0 }, (e) => raw1.push(e));
      const w2 = store.watchJson({ kind: 'Pod' }, (e) => raw2.push(e));
      const b = await store.create(pod('b'));
      await expect.poll(() => raw1.length).toBe(2);
      await expect.poll(() => raw2.length).toBe(1);
      expect(raw1.map((e) => [e.type, e.kind, e.namespace, e.name, e.revision])).toEqual([
        ['ADDED', 'Pod', 'default', 'a', rev(1)],
        ['ADDED', 'Pod', 'default', 'b', rev(2)],
      ]);
      expect(JSON.parse(raw1[1]!.json)).toEqual(b);
      expect(raw2[0]!.json).toBe(raw1[1]!.json);
      expect(() => store.watchJson({ fromRevision: -1 }, () => undefined)).toThrow(/non-negative integer/);
      w1.close();
      w2.close();
    });

    it('stops delivering after close()', async () => {
      const c = collector();
      const w = store.watch({}, c.handler);
      await store.create(pod('a'));
      await c.next(1);
      w.close();
      w.close();
      await store.create(pod('b'));
      await settle();
      expect(c.events).toHaveLength(1);
    });

    it('a handler that writes to the store sees its own write in order', async () => {
      const c = collector();
      const w = store.watch({ kind: 'Pod' }, (e) => {
        c.handler(e);
        if (e.type === 'ADDED' && e.object.metadata.name === 'a') void store.create(pod('from-handler'));
      });
      await store.create(pod('a'));
      await store.create(pod('b'));
      await c.next(3);
      expect(c.events.map((e) => e.revision)).toEqual([rev(1), rev(2), rev(3)]);
      w.close();
    });
  });

  describe('history compaction', () => {
    it('throws RevisionCompactedError synchronously for a revision older than the kept history', async () => {
      await store.close();
      store = await backend.open({ historyLimit: 3 });
      r0 = await store.revision();
      for (let i = 0; i < 10; i++) await store.create(pod(`p${i}`));
      // kept: revisions 8, 9, 10
      expect(() => store.watch({ fromRevision: rev(6) }, () => undefined)).toThrow(RevisionCompactedError);
      try {
        store.watch({ fromRevision: 0 }, () => undefined);
        expect.unreachable();
      } catch (err) {
        expect(err).toMatchObject({ code: 'ESTORE_COMPACTED', requested: 0, oldest: rev(8) });
      }
      const c = collector();
      const w = store.watch({ fromRevision: rev(7) }, c.handler);
      const events = await c.next(3);
      expect(events.map((e) => e.revision)).toEqual([rev(8), rev(9), rev(10)]);
      w.close();
    });

    it('rejects a negative fromRevision', () => {
      expect(() => store.watch({ fromRevision: -1 }, () => undefined)).toThrow(ValidationError);
    });
  });
  });
}
