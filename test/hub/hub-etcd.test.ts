/** A hub whose state is in a real etcd (`--store etcd://...`): the API works on it, Secrets are encrypted in etcd, a restart keeps everything. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaFetch } from '../../hub/cli/tls-fetch.js';
import { createHub, type Hub, type HubOptions } from '../../hub/hub.js';
import { silentLogger } from '../../protocol/logger.js';
import { startEtcd, type EtcdServer } from './store/etcd-server.js';

describe('a hub on etcd', () => {
  let etcd: EtcdServer;
  let dir: string;
  beforeAll(async () => {
    etcd = await startEtcd();
    dir = await mkdtemp(join(tmpdir(), 'drover-hub-etcd-'));
  }, 60_000);
  afterAll(async () => {
    await etcd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const options = (): HubOptions => ({
    dataDir: join(dir, 'hub'),
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
    logger: silentLogger(),
    store: { kind: 'etcd', endpoints: [etcd.endpoint], prefix: '/drover-hub-test/' },
  });
  const api = async (hub: Hub) => {
    const fetchCa = createCaFetch(await readFile(hub.caCertPath, 'utf8'));
    return (path: string, init: { method?: string; body?: unknown } = {}) =>
      fetchCa(`${hub.httpUrl}${path}`, {
        method: init.method ?? 'GET',
        headers: { authorization: `Bearer ${hub.adminToken}`, 'content-type': 'application/json' },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
  };

  it('serves the API from etcd, keeps Secrets encrypted there, and keeps everything over a restart', async () => {
    let hub = await createHub(options());
    try {
      const call = await api(hub);
      const cm = await call('/api/v1/namespaces/default/configmaps', { method: 'POST', body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'site' }, data: { city: 'Lyon' } } });
      expect(cm.status).toBe(201);
      const secret = await call('/api/v1/namespaces/default/secrets', { method: 'POST', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pw' }, stringData: { password: 'hunter2-in-etcd' } } });
      expect(secret.status).toBe(201);
      const listed = (await (await call('/api/v1/namespaces')).json()) as { items: Array<{ metadata: { name: string } }> };
      expect(listed.items.map((n) => n.metadata.name)).toEqual(expect.arrayContaining(['default', 'kube-system']));
    } finally {
      await hub.close();
    }
    // straight from etcd: the objects are there, under the prefix; the Secret's value is not readable
    const raw = await execa('etcdctl', [`--endpoints=${etcd.endpoint}`, 'get', '--prefix', '/drover-hub-test/objects/'], { env: { ETCDCTL_API: '3' } });
    expect(raw.stdout).toContain('/drover-hub-test/objects/ConfigMap/default/site');
    expect(raw.stdout).toContain('/drover-hub-test/objects/Secret/default/pw');
    expect(raw.stdout).not.toContain('hunter2-in-etcd');
    expect(raw.stdout).not.toContain(Buffer.from('hunter2-in-etcd').toString('base64'));

    hub = await createHub(options());
    try {
      const call = await api(hub);
      const cm = (await (await call('/api/v1/namespaces/default/configmaps/site')).json()) as { data: { city: string } };
      expect(cm.data.city).toBe('Lyon');
      const secret = (await (await call('/api/v1/namespaces/default/secrets/pw')).json()) as { data: { password: string } };
      expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('hunter2-in-etcd');
    } finally {
      await hub.close();
    }
  }, 120_000);
});
