/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pod, putNode, startTestApi, type TestApi } from './support.js';

describe('API resources (real SQLite store, real HTTP)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ maxBodyBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates the default namespace on listen', async () => {
    const r = await api.call('GET', '/api/v1/namespaces/default');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ kind: 'Namespace', metadata: { name: 'default' }, status: { phase: 'Active' } });
  });

  it('round-trips a pod: create, get, list, replace, delete', async () => {
    const created = await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('web', { labels: { app: 'web' } }) });
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({ name: 'web', namespace: 'default' });
    expect(created.body.metadata.uid).toBeTruthy();
    expect(created.body.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(created.body.status).toEqual({ phase: 'Pending' });

    const got = await api.call('GET', '/api/v1/namespaces/default/pods/web');
    expect(got.status).toBe(200);
    expect(got.body.spec.containers[0].image).toBe('drover.local/busybox:test');

    const list = await api.call('GET', '/api/v1/namespaces/default/pods');
    expect(list.body).toMatchObject({ apiVersion: 'v1', kind: 'PodList' });
    expect(list.body.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(list.body.items.map((p: any) => p.metadata.name)).toContain('web');

    const next = structuredClone(got.body);
    next.metadata.labels = { app: 'web', tier: 'front' };
    next.status = { phase: 'Running' }; // ignored on the main resource
    const replaced = await api.call('PUT', '/api/v1/namespaces/default/pods/web', { body: next });
    expect(replaced.status).toBe(200);
    expect(replaced.body.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect(replaced.body.status.phase).toBe('Pending');
    expect(Number(replaced.body.metadata.resourceVersion)).toBeGreaterThan(Number(got.body.metadata.resourceVersion));

    const del = await api.call('DELETE', '/api/v1/namespaces/default/pods/web');
    expect(del.status).toBe(200);
    expect(del.body.metadata.name).toBe('web');
    expect((await api.call('GET', '/api/v1/namespaces/default/pods/web')).status).toBe(404);
  });

  it('answers a missing object with a NotFound Status', async () => {
    const r = await api.call('GET', '/api/v1/namespaces/default/pods/nope');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: 'pods "nope" not found' });
    const unknown = await api.call('GET', '/api/v1/widgets');
    expect(unknown.status).toBe(404);
    expect(unknown.body.reason).toBe('NotFound');
  });

  it('refuses a duplicate with AlreadyExists and a stale resourceVersion with Conflict', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('dup') });
    const again = await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('dup') });
    expect(again.status).toBe(409);
    expect(again.body.reason).toBe('AlreadyExists');

    const current = (await api.call('GET', '/api/v1/namespaces/default/pods/dup')).body;
    const stale = structuredClone(current);
    current.metadata.labels = { v: '1' };
    expect((await api.call('PUT', '/api/v1/namespaces/default/pods/dup', { body: current })).status).toBe(200);
    stale.metadata.labels = { v: '2' };
    const conflict = await api.call('PUT', '/api/v1/namespaces/default/pods/dup', { body: stale });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ reason: 'Conflict', code: 409 });
    expect(conflict.body.message).toContain('the object has been modified');
  });

  it('refuses an invalid body with 422 naming the field', async () => {
    const bad = pod('bad');
    (bad.spec as any).containers[0].imagee = 'x';
    const r = await api.call('POST', '/api/v1/namespaces/default/pods', { body: bad });
    expect(r.status).toBe(422);
    expect(r.body.reason).toBe('Invalid');
    expect(r.body.message).toContain('spec.containers[0].imagee: unknown field');
    expect(r.body.details.causes).toContainEqual(expect.objectContaining({ field: 'spec.containers[0].imagee', message: 'unknown field' }));
    expect((await api.call('GET', '/api/v1/namespaces/default/pods/bad')).status).toBe(404);
  });

  it('refuses bad JSON (400), an oversized body (413) and a namespace mismatch (400)', async () => {
    const json = await api.call('POST', '/api/v1/namespaces/default/pods', { body: '{"kind": ' });
    expect(json.status).toBe(400);
    expect(json.body.reason).toBe('BadRequest');

    const big = pod('big', { labels: { a: 'b' } });
    (big.metadata as any).annotations = { blob: 'x'.repeat(100 * 1024) };
    const tooBig = await api.call('POST', '/api/v1/namespaces/default/pods', { body: big });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.reason).toBe('RequestEntityTooLarge');

    const mismatch = await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('m', { namespace: 'other' }) });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.message).toContain('does not match the namespace');
  });

  it('refuses to create into a namespace that does not exist, and creates with generateName', async () => {
    const r = await api.call('POST', '/api/v1/namespaces/ghost/pods', { body: pod('x') });
    expect(r.status).toBe(404);
    expect(r.body.message).toBe('namespaces "ghost" not found');

    const gen = pod('ignored');
    (gen.metadata as any) = { generateName: 'job-' };
    const created = await api.call('POST', '/api/v1/namespaces/default/pods', { body: gen });
    expect(created.status).toBe(201);
    expect(created.body.metadata.name).toMatch(/^job-[a-z0-9]{5}$/);
  });

  it('lists with label and field selectors, and across namespaces', async () => {
    await api.call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sel' } } });
    await api.call('POST', '/api/v1/namespaces/sel/pods', { body: pod('a', { labels: { app: 'a', env: 'prod' } }) });
    await api.call('POST', '/api/v1/namespaces/sel/pods', { body: pod('b', { labels: { app: 'b', env: 'dev' } }) });
    await api.call('POST', '/api/v1/namespaces/sel/pods', { body: pod('c', { labels: { app: 'c' } }) });
    const names = async (q: string) =>
      ((await api.call('GET', `/api/v1/namespaces/sel/pods?${q}`)).body.items as any[]).map((p) => p.metadata.name).sort();
    expect(await names('labelSelector=env%3Dprod')).toEqual(['a']);
    expect(await names(`labelSelector=${encodeURIComponent('env in (prod,dev)')}`)).toEqual(['a', 'b']);
    expect(await names(`labelSelector=${encodeURIComponent('!env')}`)).toEqual(['c']);
    expect(await names('fieldSelector=metadata.name%3Db')).toEqual(['b']);
    expect(await names('fieldSelector=metadata.name!%3Db')).toEqual(['a', 'c']);
    const all = await api.call('GET', '/api/v1/pods?labelSelector=app');
    expect(all.body.items.map((p: any) => p.metadata.namespace)).toContain('sel');
    const badField = await api.call('GET', '/api/v1/pods?fieldSelector=spec.image%3Dx');
    expect(badField.status).toBe(400);
    expect(badField.body.message).toContain('field label not supported');
  });

  it('merge-patches, strategic-merge-patches and JSON-patches; refuses a patch type it does not know', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('patchme', { labels: { a: '1', b: '2' } }) });
    const r = await api.call('PATCH', '/api/v1/namespaces/default/pods/patchme', {
      body: { metadata: { labels: { a: null, c: '3' } } },
      contentType: 'application/merge-patch+json',
    });
    expect(r.status).toBe(200);
    expect(r.body.metadata.labels).toEqual({ b: '2', c: '3' });
    const s = await api.call('PATCH', '/api/v1/namespaces/default/pods/patchme', {
      body: { metadata: { annotations: { note: 'hi' } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(s.body.metadata.annotations).toEqual({ note: 'hi' });
    const invalid = await api.call('PATCH', '/api/v1/namespaces/default/pods/patchme', {
      body: { spec: { restartPolicy: 'Sometimes' } },
      contentType: 'application/merge-patch+json',
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.message).toContain('spec.restartPolicy');
    const jp = await api.call('PATCH', '/api/v1/namespaces/default/pods/patchme', { body: [{ op: 'add', path: '/metadata/labels/d', value: '4' }], contentType: 'application/json-patch+json' });
    expect(jp.status).toBe(200);
    expect(jp.body.metadata.labels).toEqual({ b: '2', c: '3', d: '4' });
    const broken = await api.call('PATCH', '/api/v1/namespaces/default/pods/patchme', { body: [{ op: 'add' }], contentType: 'application/json-patch+json' });
    expect(broken.status).toBe(422);
    const unknown = await api.call('PATCH', '/api/v1/namespaces/default/pods/patchme', { body: { metadata: {} }, contentType: 'application/xml-patch+xml' });
    expect(unknown.status).toBe(415);
  });

  it('writes status only through the status subresource', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('st') });
    const r = await api.call('PATCH', '/api/v1/namespaces/default/pods/st/status', {
      body: { status: { phase: 'Running', podIP: '10.0.0.5' }, metadata: { labels: { sneaky: 'yes' } } },
      contentType: 'application/merge-patch+json',
    });
    expect(r.status).toBe(200);
    expect(r.body.status).toMatchObject({ phase: 'Running', podIP: '10.0.0.5' });
    expect(r.body.metadata.labels).toBeUndefined();
  });

  it('deletes a bound pod gracefully, and at once when forced or unbound', async () => {
    await putNode(api.store, 'n1');
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('bound', { nodeName: 'n1' }) });
    const del = await api.call('DELETE', '/api/v1/namespaces/default/pods/bound');
    expect(del.status).toBe(200);
    expect(del.body.metadata.deletionTimestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(del.body.metadata.deletionGracePeriodSeconds).toBe(30);
    const still = await api.call('GET', '/api/v1/namespaces/default/pods/bound');
    expect(still.status).toBe(200);
    expect(still.body.metadata.deletionTimestamp).toBe(del.body.metadata.deletionTimestamp);

    const forced = await api.call('DELETE', '/api/v1/namespaces/default/pods/bound?gracePeriodSeconds=0');
    expect(forced.status).toBe(200);
    expect((await api.call('GET', '/api/v1/namespaces/default/pods/bound')).status).toBe(404);

    const withGrace = pod('graceful', { nodeName: 'n1' });
    (withGrace.spec as any).terminationGracePeriodSeconds = 5;
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: withGrace });
    const g = await api.call('DELETE', '/api/v1/namespaces/default/pods/graceful', { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
    expect(g.body.metadata.deletionGracePeriodSeconds).toBe(5);

    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('unbound') });
    await api.call('DELETE', '/api/v1/namespaces/default/pods/unbound');
    expect((await api.call('GET', '/api/v1/namespaces/default/pods/unbound')).status).toBe(404);
  });

  it('refuses to rebind a bound pod', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('pinned', { nodeName: 'n1' }) });
    const r = await api.call('PATCH', '/api/v1/namespaces/default/pods/pinned', {
      body: { spec: { nodeName: 'elsewhere' } },
      contentType: 'application/merge-patch+json',
    });
    expect(r.status).toBe(422);
    expect(r.body.details.causes[0].field).toBe('spec.nodeName');
  });

  it('handles nodes: no create, patch spec and labels, delete revokes the credential', async () => {
    const create = await api.call('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'x' } } });
    expect(create.status).toBe(405);
    expect(create.body.message).toContain('join token');

    await putNode(api.store, 'edge-1');
    const cordon = await api.call('PATCH', '/api/v1/nodes/edge-1', {
      body: { spec: { unschedulable: true, taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }, metadata: { labels: { zone: 'a' } } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(cordon.status).toBe(200);
    expect(cordon.body.spec.unschedulable).toBe(true);
    expect(cordon.body.metadata.labels.zone).toBe('a');

    const del = await api.call('DELETE', '/api/v1/nodes/edge-1');
    expect(del.status).toBe(200);
    expect(api.auth.revokedNodes).toContain('edge-1');
    expect((await api.call('GET', '/api/v1/nodes/edge-1')).status).toBe(404);
  });

  it('deleting a namespace deletes its objects; default may not be deleted', async () => {
    await api.call('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } } });
    await api.call('POST', '/api/v1/namespaces/doomed/pods', { body: pod('p1') });
    await api.call('POST', '/api/v1/namespaces/doomed/pods', { body: pod('p2') });
    const del = await api.call('DELETE', '/api/v1/namespaces/doomed');
    expect(del.status).toBe(200);
    expect((await api.call('GET', '/api/v1/namespaces/doomed/pods')).body.items).toEqual([]);
    expect((await api.call('GET', '/api/v1/namespaces/doomed')).status).toBe(404);

    const def = await api.call('DELETE', '/api/v1/namespaces/default');
    expect(def.status).toBe(403);
    expect(def.body.reason).toBe('Forbidden');
  });

  it('serves other registered kinds under their group (apps/v1)', async () => {
    const list = await api.call('GET', '/apis/apps/v1/namespaces/default/deployments');
    expect(list.status).toBe(200);
    expect(list.body.kind).toBe('DeploymentList');
  });
});
