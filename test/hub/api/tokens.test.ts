import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support.js';

describe('drover.io token endpoints', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates, lists (without secrets) and revokes join tokens', async () => {
    const created = await api.call('POST', '/apis/drover.io/v1/jointokens', { body: { ttlSeconds: 600, description: 'pi fleet' } });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^drover-join\./);
    expect(created.body.id).toBeTruthy();
    expect(Date.parse(created.body.expiresAt)).toBeGreaterThan(Date.now());

    const list = await api.call('GET', '/apis/drover.io/v1/jointokens');
    expect(list.body.kind).toBe('JoinTokenList');
    expect(list.body.items).toContainEqual(expect.objectContaining({ id: created.body.id, description: 'pi fleet' }));
    expect(JSON.stringify(list.body)).not.toContain('s3cr3t');
    expect(JSON.stringify(list.body)).not.toContain('secretHash');

    const del = await api.call('DELETE', `/apis/drover.io/v1/jointokens/${created.body.id}`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await api.call('GET', '/apis/drover.io/v1/jointokens')).body.items).toEqual([]);
  });

  it('creates API tokens that then authenticate with their role', async () => {
    const created = await api.call('POST', '/apis/drover.io/v1/apitokens', { body: { role: 'view' } });
    expect(created.status).toBe(201);
    expect((await api.call('GET', '/api/v1/namespaces', { token: created.body.token })).status).toBe(200);
    expect((await api.call('POST', '/apis/drover.io/v1/apitokens', { token: created.body.token, body: { role: 'admin' } })).status).toBe(403);
  });

  it('validates token requests', async () => {
    const r = await api.call('POST', '/apis/drover.io/v1/apitokens', { body: { role: 'root' } });
    expect(r.status).toBe(422);
    expect(r.body.details.causes[0].field).toBe('role');
    const j = await api.call('POST', '/apis/drover.io/v1/jointokens', { body: { ttl: 5 } });
    expect(j.status).toBe(422);
    expect(j.body.message).toContain('ttl: unknown field');
  });
});
