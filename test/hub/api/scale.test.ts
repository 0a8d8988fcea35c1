/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support.js';

export function deployment(name: string, replicas = 2): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image: 'registry.local/nginx:1.26' }] } },
    },
  };
}

describe('the scale subresource', () => {
  let api: TestApi;
  const path = '/apis/apps/v1/namespaces/default/deployments/sc-web/scale';

  beforeAll(async () => {
    api = await startTestApi();
    await api.store.create(deployment('sc-web') as any);
    const stored = await api.store.get<any>({ kind: 'Deployment', namespace: 'default', name: 'sc-web' });
    await api.store.update({ ...stored, status: { replicas: 2, readyReplicas: 1 } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('GET returns an autoscaling/v1 Scale', async () => {
    const r = await api.call('GET', path);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'sc-web', namespace: 'default' }, spec: { replicas: 2 }, status: { replicas: 2, selector: 'app=sc-web' } });
    expect(r.body.metadata.resourceVersion).toMatch(/^\d+$/);
  });

  it('PUT and PATCH change spec.replicas only, bumping the generation', async () => {
    const before = await api.store.get<any>({ kind: 'Deployment', namespace: 'default', name: 'sc-web' });
    const put = await api.call('PUT', path, { body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'sc-web' }, spec: { replicas: 5 } } });
    expect(put.status).toBe(200);
    expect(put.body.spec.replicas).toBe(5);
    const after = await api.store.get<any>({ kind: 'Deployment', namespace: 'default', name: 'sc-web' });
    expect(after.spec.replicas).toBe(5);
    expect(after.spec.template).toEqual(before.spec.template);
    expect(after.status).toEqual(before.status);
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);

    const patch = await api.call('PATCH', path, { body: { spec: { replicas: 0 } }, contentType: 'application/merge-patch+json' });
    expect(patch.status).toBe(200);
    expect((await api.store.get<any>({ kind: 'Deployment', namespace: 'default', name: 'sc-web' })).spec.replicas).toBe(0);
  });

  it('PUT with a stale resourceVersion conflicts; bad replicas are invalid; view may not scale', async () => {
    const stale = await api.call('PUT', path, { body: { metadata: { resourceVersion: '1' }, spec: { replicas: 3 } } });
    expect(stale.status).toBe(409);
    const bad = await api.call('PUT', path, { body: { spec: { replicas: -1 } } });
    expect(bad.status).toBe(422);
    expect(bad.body.message).toContain('spec.replicas');
    expect((await api.call('GET', path, { token: api.tokens.view })).status).toBe(200);
    const denied = await api.call('PUT', path, { token: api.tokens.view, body: { spec: { replicas: 3 } } });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('deployments/scale');
    expect((await api.call('PUT', path, { token: api.tokens.edit, body: { spec: { replicas: 3 } } })).status).toBe(200);
  });

  it('answers 404 for a missing deployment and for scale on kinds without it', async () => {
    expect((await api.call('GET', '/apis/apps/v1/namespaces/default/deployments/nope/scale')).status).toBe(404);
    expect((await api.call('GET', '/apis/apps/v1/namespaces/default/daemonsets/x/scale')).status).toBe(404);
    expect((await api.call('DELETE', path)).status).toBe(405);
  });
});
