/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
/** Secrets through the real HTTP API over the encrypting store: stringData, the view role, nothing in plaintext on disk. */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../../hub/api/index.js';
import { createEncryptingStore } from '../../../hub/secrets/index.js';
import { createSqliteStore } from '../../../hub/store/index.js';
import type { Store } from '../../../hub/store/store.js';
import { silentLogger } from '../../../protocol/logger.js';
import { createFakeAuth } from '../api/support.js';

const VALUE = 'api-secret-plaintext-7731';
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('Secrets through the API', () => {
  let dir: string;
  let store: Store;
  let server: ApiServer;
  let url: string;
  const auth = createFakeAuth();
  const tokens = { admin: auth.issue('admin'), edit: auth.issue('edit'), view: auth.issue('view') };

  async function call(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-api-secrets-'));
    const inner = await createSqliteStore({ path: join(dir, 'state.db'), logger: silentLogger() });
    store = await createEncryptingStore(inner, { keyFile: join(dir, 'secrets.key'), logger: silentLogger() });
    server = createApiServer({ store, auth, logger: silentLogger() });
    url = `http://127.0.0.1:${(await server.listen('127.0.0.1', 0)).port}`;
  });
  afterAll(async () => {
    await server.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores stringData merged into data and answers with data only', async () => {
    const created = await call('POST', '/api/v1/namespaces/default/secrets', tokens.admin, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db' },
      type: 'Opaque',
      stringData: { password: VALUE },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toEqual({ password: b64(VALUE) });
    expect(created.body.stringData).toBeUndefined();
    const read = await call('GET', '/api/v1/namespaces/default/secrets/db', tokens.edit);
    expect(read.status).toBe(200);
    expect(read.body.data).toEqual({ password: b64(VALUE) });
    expect(read.body).not.toHaveProperty('drover.io/encrypted');
  });

  it('forbids the view role to get, list or watch Secrets, but not ConfigMaps', async () => {
    for (const path of ['/api/v1/namespaces/default/secrets/db', '/api/v1/namespaces/default/secrets', '/api/v1/secrets', '/api/v1/namespaces/default/secrets?watch=1']) {
      const r = await call('GET', path, tokens.view);
      expect(r.status, path).toBe(403);
      expect(r.body).toMatchObject({ kind: 'Status', reason: 'Forbidden' });
      expect(JSON.stringify(r.body)).not.toContain(b64(VALUE));
    }
    expect((await call('GET', '/api/v1/namespaces/default/configmaps', tokens.view)).status).toBe(200);
  });

  it('leaves neither the value nor its base64 in the database files', async () => {
    const files = (await readdir(dir)).filter((f) => f.startsWith('state.db'));
    for (const f of files) {
      const bytes = await readFile(join(dir, f));
      expect(bytes.includes(VALUE), f).toBe(false);
      expect(bytes.includes(b64(VALUE)), f).toBe(false);
    }
  });
});
