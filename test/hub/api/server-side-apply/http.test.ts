/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
/** Server-side apply and managedFields through the real API server (SQLite store, HTTP). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support.js';

const APPLY = 'application/apply-patch+yaml';
const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: default\ndata:\n${data}`;
const path = '/api/v1/namespaces/default/configmaps/settings';

describe('server-side apply over HTTP', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('needs a fieldManager (422 as Kubernetes), creates a missing object (201) from YAML, and dryRun=All stores nothing', async () => {
    const missing = await api.call('PATCH', path, { body: cm('  a: "1"\n'), contentType: APPLY });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({
      reason: 'Invalid',
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      details: { group: 'meta.k8s.io', kind: 'PatchOptions', causes: [{ reason: 'FieldValueRequired', field: 'fieldManager' }] },
    });
    const forceOnMerge = await api.call('PATCH', `${path}?force=true`, { body: { data: {} }, contentType: 'application/merge-patch+json' });
    expect(forceOnMerge.status).toBe(422);
    expect(forceOnMerge.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
    const dry = await api.call('PATCH', `${path}?fieldManager=tool&dryRun=All`, { body: cm('  a: "1"\n'), contentType: APPLY });
    expect(dry.status).toBe(201);
    expect((await api.call('GET', path)).status).toBe(404);
    const created = await api.call('PATCH', `${path}?fieldManager=tool`, { body: cm('  a: "1"\n  b: "2"\n'), contentType: APPLY });
    expect(created.status).toBe(201);
    expect(created.body.data).toEqual({ a: '1', b: '2' });
    expect(created.body.metadata.managedFields).toEqual([
      { manager: 'tool', operation: 'Apply', apiVersion: 'v1', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } },
    ]);
  });

  it('a merge patch records an Update for the user agent\'s manager; a changed owned field is a 409 Status; force wins', async () => {
    const patched = await fetch(`${api.url}${path}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${api.tokens.admin}`, 'content-type': 'application/merge-patch+json', 'user-agent': 'mytool/1.0 (linux)' },
      body: JSON.stringify({ data: { a: 'changed' } }),
    });
    const body = (await patched.json()) as any;
    expect(body.metadata.managedFields.map((m: any) => [m.manager, m.operation, m.fieldsV1])).toEqual([
      ['tool', 'Apply', { 'f:data': { 'f:b': {} } }],
      ['mytool', 'Update', { 'f:data': { 'f:a': {} } }],
    ]);
    const conflict = await api.call('PATCH', `${path}?fieldManager=tool`, { body: cm('  a: "1"\n  b: "2"\n'), contentType: APPLY });
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "mytool" using v1: .data.a',
      details: { causes: [{ reason: 'FieldManagerConflict', field: '.data.a', message: 'conflict with "mytool" using v1' }] },
    });
    const forced = await api.call('PATCH', `${path}?fieldManager=tool&force=true`, { body: cm('  a: "1"\n'), contentType: APPLY });
    expect(forced.status).toBe(200);
    expect(forced.body.data).toEqual({ a: '1' }); // b left out and owned by nobody else: removed
    expect(forced.body.metadata.managedFields.map((m: any) => m.manager)).toEqual(['tool']);
  });

  it('PUT with fieldManager takes the fields it changes; a reset with managedFields: [] clears them; view may not apply', async () => {
    const current = (await api.call('GET', path)).body;
    const put = await api.call('PUT', `${path}?fieldManager=editor`, { body: { ...current, data: { a: '1', c: '3' } } });
    expect(put.status).toBe(200);
    expect(put.body.metadata.managedFields.map((m: any) => [m.manager, m.fieldsV1])).toEqual([
      ['tool', { 'f:data': { 'f:a': {} } }],
      ['editor', { 'f:data': { 'f:c': {} } }],
    ]);
    const reset = await api.call('PATCH', path, { body: { metadata: { managedFields: [] } }, contentType: 'application/merge-patch+json' });
    expect(reset.body.metadata.managedFields).toBeUndefined();
    const view = await api.call('PATCH', `${path}?fieldManager=v`, { body: cm('  a: "1"\n'), contentType: APPLY, token: api.tokens.view });
    expect(view.status).toBe(403);
  });
});
