import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorize } from '../../../hub/api/auth.js';
import { ApiError } from '../../../hub/api/status.js';
import { pod, putNode, startTestApi, type TestApi } from './support.js';

describe('API authentication and roles', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    await api.call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } } });
    await putNode(api.store, 'node-1');
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 401 Unauthorized Status without a token or with a bad one', async () => {
    const none = await api.call('GET', '/api/v1/pods', { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    const bad = await api.call('GET', '/api/v1/pods', { token: 'drover-api.nope.nope' });
    expect(bad.status).toBe(401);
    expect((await api.call('GET', '/metrics', { token: null })).status).toBe(401);
    expect((await api.call('GET', '/api', { token: null })).status).toBe(401);
  });

  it('leaves health endpoints and (from loopback) the status page open', async () => {
    for (const path of ['/healthz', '/livez', '/readyz']) {
      const r = await api.call('GET', path, { token: null });
      expect(r.status).toBe(200);
      expect(r.body).toBe('ok');
    }
    expect((await api.call('GET', '/', { token: null })).status).toBe(200);
    expect((await api.call('GET', '/status.json', { token: null })).status).toBe(200);
  });

  it('lets view read but not write, with a kubectl-like Forbidden message', async () => {
    expect((await api.call('GET', '/api/v1/namespaces/default/pods', { token: api.tokens.view })).status).toBe(200);
    const r = await api.call('POST', '/api/v1/namespaces/default/pods', { token: api.tokens.view, body: pod('v') });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(r.body.message).toBe('pods is forbidden: token "tok3" (role view) cannot create resource "pods" in namespace "default"');
  });

  it('lets edit write workloads but not nodes, namespaces or tokens', async () => {
    expect((await api.call('POST', '/api/v1/namespaces/default/pods', { token: api.tokens.edit, body: pod('e') })).status).toBe(201);
    const node = await api.call('PATCH', '/api/v1/nodes/node-1', {
      token: api.tokens.edit,
      body: { spec: { unschedulable: true } },
      contentType: 'application/merge-patch+json',
    });
    expect(node.status).toBe(403);
    expect(node.body.message).toContain('at the cluster scope');
    const ns = await api.call('POST', '/api/v1/namespaces', { token: api.tokens.edit, body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } } });
    expect(ns.status).toBe(403);
    expect((await api.call('POST', '/apis/drover.io/v1/jointokens', { token: api.tokens.edit, body: {} })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/nodes', { token: api.tokens.edit })).status).toBe(200);
  });

  it('keeps a namespace-scoped token inside its namespace', async () => {
    const t = api.tokens.editTeamA;
    expect((await api.call('POST', '/api/v1/namespaces/team-a/pods', { token: t, body: pod('a') })).status).toBe(201);
    expect((await api.call('GET', '/api/v1/namespaces/team-a/pods', { token: t })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/namespaces/team-a', { token: t })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/namespaces/default/pods', { token: t })).status).toBe(403);
    const all = await api.call('GET', '/api/v1/pods', { token: t });
    expect(all.status).toBe(403);
    expect(all.body.message).toContain('across all namespaces');
    expect((await api.call('GET', '/api/v1/nodes', { token: t })).status).toBe(403);
  });

  it('keeps status subresources for admin tokens (the components write status through the store), under their resource\'s read rules', () => {
    const status = (verb: 'get' | 'update' | 'patch', resource = 'pods/status') => ({ verb, resource, namespace: 'x', namespaced: true, name: 'p' });
    expect(() => authorize({ id: 'e', role: 'edit' }, status('update'))).toThrow('pods "p" is forbidden: token "e" (role edit) cannot update resource "pods/status" in namespace "x"');
    expect(() => authorize({ id: 'e', role: 'edit' }, status('patch', 'deployments/status'))).toThrow(ApiError);
    expect(() => authorize({ id: 'e', role: 'edit' }, status('get'))).not.toThrow();
    expect(() => authorize({ id: 'a', role: 'admin' }, status('patch'))).not.toThrow();
    // a view token may not read a Secret through its status path either
    expect(() => authorize({ id: 'v', role: 'view' }, status('get', 'secrets/status'))).toThrow(/cannot get resource "secrets\/status"/);
  });

  it('authorize() is a pure rule table', () => {
    expect(() => authorize({ id: 'a', role: 'admin' }, { verb: 'delete', resource: 'nodes', namespace: undefined, namespaced: false })).not.toThrow();
    expect(() => authorize({ id: 'v', role: 'view' }, { verb: 'watch', resource: 'pods', namespace: 'x', namespaced: true })).not.toThrow();
    expect(() => authorize({ id: 'v', role: 'view' }, { verb: 'patch', resource: 'pods', namespace: 'x', namespaced: true })).toThrow(ApiError);
    expect(() => authorize({ id: 'e', role: 'edit' }, { verb: 'list', resource: 'apitokens', namespace: undefined, namespaced: false })).toThrow(
      /cannot list resource "apitokens"/,
    );
  });
});
