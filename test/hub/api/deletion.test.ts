 
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../hub/store/store.js';
import { startTestApi, type TestApi } from './support.js';

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { a: '1' } });

describe('DELETE while something else writes the object', () => {
  let api: TestApi;
  /** Names whose next read is followed at once by another writer's update (a controller, say). */
  const raceOnRead = new Set<string>();
  beforeAll(async () => {
    const wrap = (store: Store): Store =>
      Object.assign(Object.create(store) as Store, {
        get: async (...args: Parameters<Store['get']>) => {
          const obj = await store.get(...args);
          const name = args[0].name;
          if (obj && raceOnRead.delete(name)) {
            await store.update({ ...obj, metadata: { ...obj.metadata, labels: { touched: 'yes' } } });
          }
          return obj;
        },
      });
    api = await startTestApi({ wrapStore: wrap });
  });
  afterAll(async () => {
    await api.close();
  });

  it('a plain DELETE removes the object although it changed after the API read it (no 409)', async () => {
    await api.call('POST', '/api/v1/namespaces/default/configmaps', { body: configMap('raced') });
    raceOnRead.add('raced');
    const del = await api.call('DELETE', '/api/v1/namespaces/default/configmaps/raced');
    expect(raceOnRead.has('raced')).toBe(false); // the race did happen
    expect(del.status).toBe(200);
    expect((await api.call('GET', '/api/v1/namespaces/default/configmaps/raced')).status).toBe(404);
  });

  it('a DELETE with a resourceVersion precondition gets the 409 when the object changed', async () => {
    const created = await api.call('POST', '/api/v1/namespaces/default/configmaps', { body: configMap('guarded') });
    const rv = created.body.metadata.resourceVersion as string;
    raceOnRead.add('guarded');
    const del = await api.call('DELETE', '/api/v1/namespaces/default/configmaps/guarded', { body: { preconditions: { resourceVersion: rv } } });
    expect(del.status).toBe(409);
    expect(del.body).toMatchObject({ kind: 'Status', reason: 'Conflict' });
    expect((await api.call('GET', '/api/v1/namespaces/default/configmaps/guarded')).status).toBe(200);
  });

  it('a namespace changed meanwhile is still deleted', async () => {
    await api.call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'racy-ns' } } });
    raceOnRead.add('racy-ns');
    const del = await api.call('DELETE', '/api/v1/namespaces/racy-ns');
    expect(del.status).toBe(200);
    expect((await api.call('GET', '/api/v1/namespaces/racy-ns')).status).toBe(404);
  });
});
