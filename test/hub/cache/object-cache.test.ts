import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createObjectCache, type CacheEvent, type ObjectCache } from '../../../hub/cache/object-cache.js';
import type { Store, StoredObject } from '../../../hub/store/store.js';
import { silentLogger } from '../../../protocol/logger.js';
import { openStore, pod, settle, tempDir } from '../store/helpers.js';

let cleanup: () => Promise<void>;
let store: Store;
let cache: ObjectCache;

beforeEach(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  store = await openStore(t.dir);
});
afterEach(async () => {
  cache?.stop();
  await store.close();
  await cleanup();
});

const owned = (name: string, uid: string, nodeName?: string): StoredObject => {
  const p = pod(name, nodeName ? { nodeName } : {});
  p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid, controller: true }];
  return p;
};

describe('object cache', () => {
  it('lists what the store held at start, then follows its changes, with indexes', async () => {
    await store.create(owned('a', 'rs-1', 'n1'));
    await store.create(pod('b', { namespace: 'shop', labels: { app: 'web' } }));
    cache = createObjectCache({ store, logger: silentLogger() });
    await cache.start();
    const pods = cache.kind('Pod');
    expect(pods.list().map((p) => p.metadata.name)).toEqual(['a', 'b']);

    const c = await store.create(owned('c', 'rs-1', 'n1'));
    await cache.waitFor(Number(c.metadata.resourceVersion));
    expect(pods.onNode('n1').map((p) => p.metadata.name).sort()).toEqual(['a', 'c']);
    expect(pods.ownedBy('rs-1')).toHaveLength(2);
    expect(pods.list({ namespace: 'shop', labelSelector: { matchLabels: { app: 'web' } } }).map((p) => p.metadata.name)).toEqual(['b']);
    expect(pods.list({ fieldSelector: { 'spec.nodeName': 'n1' } }).map((p) => p.metadata.name)).toEqual(['a', 'c']);

    // moved to another node: the index follows
    const moved = await store.update({ ...c, spec: { ...(c.spec as object), nodeName: 'n2' } });
    await cache.waitFor(Number(moved.metadata.resourceVersion));
    expect(pods.onNode('n1').map((p) => p.metadata.name)).toEqual(['a']);
    expect(pods.onNode('n2').map((p) => p.metadata.name)).toEqual(['c']);

    const gone = await store.delete({ kind: 'Pod', namespace: 'default', name: 'a' });
    await cache.waitFor(Number(gone.metadata.resourceVersion));
    expect(pods.get('default', 'a')).toBeUndefined();
    expect(pods.ownedBy('rs-1').map((p) => p.metadata.name)).toEqual(['c']);
    expect(cache.revision()).toBe(await store.revision());
  });

  it('tells subscribers what changed, with the object before', async () => {
    cache = createObjectCache({ store, logger: silentLogger() });
    await cache.start();
    const events: CacheEvent[] = [];
    cache.kind('Pod').subscribe((e) => events.push(e));
    const a = await store.create(pod('a'));
    await store.update({ ...a, status: { phase: 'Running' } });
    await store.delete({ kind: 'Pod', namespace: 'default', name: 'a' });
    await settle();
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect((events[1]!.old as { status?: unknown }).status).toBeUndefined();
    expect((events[1]!.object as { status?: { phase: string } }).status?.phase).toBe('Running');
  });

  it('hands out frozen objects: a reader cannot change what others see', async () => {
    await store.create(pod('a', { labels: { app: 'x' } }));
    cache = createObjectCache({ store, logger: silentLogger() });
    await cache.start();
    const a = cache.kind('Pod').get('default', 'a')!;
    expect(() => {
      a.metadata.labels!.app = 'y';
    }).toThrow(TypeError);
    expect(cache.kind('Pod').get('default', 'a')!.metadata.labels).toEqual({ app: 'x' });
  });

  it('applies changes made while it was listing exactly once', async () => {
    cache = createObjectCache({ store, logger: silentLogger() });
    const writes = Promise.all(Array.from({ length: 50 }, (_, i) => store.create(pod(`p${i}`))));
    await cache.start();
    await writes;
    await cache.waitFor(await store.revision());
    expect(cache.kind('Pod').size()).toBe(50);
    expect(new Set(cache.kind('Pod').list().map((p) => p.metadata.name)).size).toBe(50);
  });
});
