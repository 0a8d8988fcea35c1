/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bookmarkLine, watchOptionsOf } from '../../../hub/api/watch-semantics.js';
import { openWatch, startTestApi, type TestApi } from './support.js';

const cm = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } });
const CMS = '/api/v1/namespaces/default/configmaps';

describe('resourceVersion semantics of list and watch, bookmarks, paging', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ historyLimit: 5, server: { bookmarkIntervalMs: 100 } });
    for (const name of ['a', 'b', 'c']) expect((await api.call('POST', CMS, { body: cm(name) })).status).toBe(201);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('parses the watch options as Kubernetes validates them', () => {
    expect(watchOptionsOf(new URLSearchParams(''))).toMatchObject({ fromRevision: undefined, sendInitialEvents: true, allowBookmarks: false });
    expect(watchOptionsOf(new URLSearchParams('resourceVersion=0'))).toMatchObject({ fromRevision: undefined, sendInitialEvents: true });
    expect(watchOptionsOf(new URLSearchParams('resourceVersion=7'))).toMatchObject({ fromRevision: 7, sendInitialEvents: false });
    expect(watchOptionsOf(new URLSearchParams('sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'))).toMatchObject({
      sendInitialEvents: true,
      initialEventsEndBookmark: true,
    });
    expect(() => watchOptionsOf(new URLSearchParams('sendInitialEvents=true&allowWatchBookmarks=true'))).toThrow(/resourceVersionMatch to NotOlderThan/);
    expect(() => watchOptionsOf(new URLSearchParams('sendInitialEvents=true&resourceVersionMatch=NotOlderThan'))).toThrow(/allowWatchBookmarks/);
    expect(() => watchOptionsOf(new URLSearchParams('resourceVersionMatch=Exact'))).toThrow(/forbidden for watch/);
    expect(() => watchOptionsOf(new URLSearchParams('resourceVersion=abc'))).toThrow(/revision number/);
    expect(JSON.parse(bookmarkLine('v1', 'Pod', 12, true))).toEqual({
      type: 'BOOKMARK',
      object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: '12', annotations: { 'k8s.io/initial-events-end': 'true' } } },
    });
  });

  it('list: 0 and NotOlderThan a past revision answer now; Exact only the current one; a future one is 504 Too large', async () => {
    const now = (await api.call('GET', CMS)).body.metadata.resourceVersion as string;
    expect((await api.call('GET', `${CMS}?resourceVersion=0`)).status).toBe(200);
    const older = await api.call('GET', `${CMS}?resourceVersion=1&resourceVersionMatch=NotOlderThan`);
    expect(older.status).toBe(200);
    expect(older.body.metadata.resourceVersion).toBe(now);
    expect((await api.call('GET', `${CMS}?resourceVersion=${now}&resourceVersionMatch=Exact`)).status).toBe(200);
    const exactOld = await api.call('GET', `${CMS}?resourceVersion=1&resourceVersionMatch=Exact`);
    expect(exactOld.status).toBe(410);
    expect(exactOld.body).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    const future = await api.call('GET', `${CMS}?resourceVersion=${Number(now) + 1000}`);
    expect(future.status).toBe(504);
    expect(future.body.message).toBe(`Too large resource version: ${Number(now) + 1000}, current: ${now}`);
    expect(future.body.details.causes[0].reason).toBe('ResourceVersionTooLarge');
    expect((await api.call('GET', `${CMS}?resourceVersionMatch=NotOlderThan`)).status).toBe(422);
    expect((await api.call('GET', `${CMS}?resourceVersion=0&resourceVersionMatch=Exact`)).status).toBe(422);
  });

  it('paging: limit/continue with remainingItemCount; an expired continue token is 410 Expired with a token to go on', async () => {
    const first = await api.call('GET', `${CMS}?limit=2`);
    expect(first.body.items.map((o: any) => o.metadata.name)).toEqual(['a', 'b']);
    expect(first.body.metadata.remainingItemCount).toBe(1);
    const token = first.body.metadata.continue as string;
    const second = await api.call('GET', `${CMS}?limit=2&continue=${encodeURIComponent(token)}`);
    expect(second.body.items.map((o: any) => o.metadata.name)).toEqual(['c']);
    expect(second.body.metadata.continue).toBeUndefined();
    expect((await api.call('GET', `${CMS}?limit=2&resourceVersion=1&continue=${encodeURIComponent(token)}`)).status).toBe(422);
    // push the first page's revision out of the kept history (5 revisions)
    for (let i = 0; i < 6; i++) await api.call('PUT', `${CMS}/c`, { body: { ...cm('c'), data: { a: String(i) } } });
    const expired = await api.call('GET', `${CMS}?limit=2&continue=${encodeURIComponent(token)}`);
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({ reason: 'Expired', code: 410, message: expect.stringMatching(/^The provided continue parameter is too old to display a consistent list result/) });
    const inconsistent = await api.call('GET', `${CMS}?limit=2&continue=${encodeURIComponent(expired.body.metadata.continue)}`);
    expect(inconsistent.status).toBe(200);
    expect(inconsistent.body.items.map((o: any) => o.metadata.name)).toEqual(['c']);
  });

  it('watch: BOOKMARKs carry the current resourceVersion; a compacted one is an ERROR 410 Expired', async () => {
    const w = await openWatch(api, `${CMS}?watch=1&allowWatchBookmarks=true`);
    const initial = await w.next(3);
    expect(initial.map((e) => e.type)).toEqual(['ADDED', 'ADDED', 'ADDED']);
    const created = await api.call('POST', CMS, { body: cm('d') });
    const events = await w.next(2);
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'd' } } });
    expect(events[1]).toMatchObject({ type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: created.body.metadata.resourceVersion } } });
    expect(Object.keys(events[1]!.object)).toEqual(['kind', 'apiVersion', 'metadata']);
    w.close();
    const old = await openWatch(api, `${CMS}?watch=1&resourceVersion=1`);
    const [error] = await old.next(1);
    expect(error).toMatchObject({ type: 'ERROR', object: { kind: 'Status', reason: 'Expired', code: 410, message: expect.stringMatching(/^too old resource version: 1 /) } });
    old.close();
  });

  it('watch-list: sendInitialEvents=true sends the objects, then the initial-events-end BOOKMARK; false sends only changes', async () => {
    const w = await openWatch(api, `${CMS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=`);
    const events = await w.next(5);
    expect(events.slice(0, 4).map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'ADDED b', 'ADDED c', 'ADDED d']);
    expect(events[4]).toMatchObject({ type: 'BOOKMARK', object: { metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } } } });
    w.close();
    const quiet = await openWatch(api, `${CMS}?watch=1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    await api.call('POST', CMS, { body: cm('e') });
    const live: any[] = [];
    while (!live.some((e) => e.type === 'ADDED')) live.push(...(await quiet.next(1)));
    expect(live.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name)).toEqual(['e']);
    quiet.close();
  });
});
