/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeContinue, encodeContinue, pageOf } from '../../../hub/api/list-pages.js';
import type { KubeObject } from '../../../protocol/objects/meta.js';
import { pod, startTestApi, type TestApi } from './support.js';

const obj = (namespace: string, name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name } });

describe('list pages', () => {
  it('pages in namespace/name order and picks up after the last item sent, even when it is gone', () => {
    const items = [obj('a', 'x'), obj('a', 'y'), obj('a-b', 'a'), obj('b', 'a')];
    const first = pageOf(items, 2, null, 7);
    expect(first.items.map((o) => o.metadata.name)).toEqual(['x', 'y']);
    expect(first).toMatchObject({ resourceVersion: 7, remainingItemCount: 2 });
    // the list changed meanwhile: a-b/a is gone, a/z is new; the next page goes on after a/y
    const changed = [obj('a', 'x'), obj('a', 'y'), obj('a', 'z'), obj('b', 'a')];
    const second = pageOf(changed, 2, first.continue!, 9);
    expect(second.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['a/z', 'b/a']);
    expect(second.resourceVersion).toBe(7);
    expect(second.continue).toBeUndefined();
  });

  it('refuses a token it did not make', () => {
    expect(() => decodeContinue('not-a-token')).toThrow(/continue token is malformed/);
    expect(decodeContinue(encodeContinue({ rv: 3, ns: 'n', name: 'm' }))).toEqual({ rv: 3, ns: 'n', name: 'm' });
  });
});

describe('LIST with limit and continue through the API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    for (let i = 0; i < 12; i++) await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod(`p${String(i).padStart(2, '0')}`) });
  });
  afterAll(async () => api.close());

  it('returns every pod exactly once over pages of 5, each page with the first page\'s resourceVersion', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    const versions = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const res = await api.call('GET', `/api/v1/namespaces/default/pods?limit=5${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((p: any) => p.metadata.name));
      versions.add(res.body.metadata.resourceVersion);
      token = res.body.metadata.continue;
      if (!token) break;
      expect(res.body.metadata.remainingItemCount).toBe((i === 0 ? 12 : 13) - seen.length);
      if (i === 0) await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('p99') }); // written while paging
    }
    expect(seen).toEqual([...Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}`), 'p99']);
    expect(versions.size).toBe(1);
  });

  it('answers a malformed continue token with 400', async () => {
    const res = await api.call('GET', '/api/v1/namespaces/default/pods?limit=5&continue=garbage');
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/continue/);
  });
});
