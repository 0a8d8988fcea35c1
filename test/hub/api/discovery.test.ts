/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support.js';
import { KUBERNETES_API_LEVEL } from '../../../hub/api/discovery.js';

describe('API discovery, health and metrics', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('serves /api, /api/v1, /apis, /apis/GROUP/VERSION and /version', async () => {
    const versions = await api.call('GET', '/api');
    expect(versions.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });

    const core = await api.call('GET', '/api/v1');
    expect(core.body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
    const pods = core.body.resources.find((r: any) => r.name === 'pods');
    expect(pods).toMatchObject({ kind: 'Pod', namespaced: true, singularName: 'pod', shortNames: ['po'] });
    expect(pods.verbs).toEqual(expect.arrayContaining(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']));
    const nodes = core.body.resources.find((r: any) => r.name === 'nodes');
    expect(nodes.namespaced).toBe(false);
    expect(nodes.verbs).not.toContain('create');
    // kubectl get all: workloads and Services are in the `all` category, config and nodes are not
    expect(pods.categories).toEqual(['all']);
    expect(core.body.resources.find((r: any) => r.name === 'services').categories).toEqual(['all']);
    expect(nodes.categories).toBeUndefined();
    expect(core.body.resources.find((r: any) => r.name === 'configmaps').categories).toBeUndefined();
    expect(core.body.resources.some((r: any) => r.name === 'pods/status')).toBe(true);

    const groups = await api.call('GET', '/apis');
    expect(groups.body.kind).toBe('APIGroupList');
    const names = groups.body.groups.map((g: any) => g.name);
    expect(names).toContain('apps');
    expect(names).toContain('drover.io');
    expect(groups.body.groups.find((g: any) => g.name === 'apps').preferredVersion).toEqual({ groupVersion: 'apps/v1', version: 'v1' });

    const apps = await api.call('GET', '/apis/apps/v1');
    expect(apps.body.resources.map((r: any) => r.name)).toContain('deployments');
    expect(apps.body.resources.find((r: any) => r.name === 'deployments').categories).toEqual(['all']);
    // the scale subresource, with its own group-version (kubectl scale --current-replicas looks it up)
    expect(apps.body.resources.find((r: any) => r.name === 'deployments/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    expect(apps.body.resources.find((r: any) => r.name === 'replicasets/scale')).toMatchObject({ kind: 'Scale' });
    const drover = await api.call('GET', '/apis/drover.io/v1');
    expect(drover.body.resources.map((r: any) => r.name)).toEqual(['agentupgrades', 'agentupgrades/status', 'jointokens', 'apitokens']);

    const version = await api.call('GET', '/version');
    expect(version.body).toMatchObject({
      major: KUBERNETES_API_LEVEL.major,
      minor: KUBERNETES_API_LEVEL.minor,
      gitVersion: `v${KUBERNETES_API_LEVEL.major}.${KUBERNETES_API_LEVEL.minor}.0-drover`,
      platform: expect.stringMatching(/^linux\/(amd64|arm64|arm)$/),
    });
    expect(Number(KUBERNETES_API_LEVEL.minor)).toBeGreaterThanOrEqual(31); // kubectl 1.32's skew: at most one minor behind
  });

  it('reports readiness from isReady', async () => {
    const { createApiServer } = await import('../../../hub/api/index.js');
    const { silentLogger } = await import('../../../protocol/logger.js');
    let ready = false;
    const server = createApiServer({
      store: api.store,
      auth: api.auth,
      logger: silentLogger(),
      isReady: () => ({ ready, reasons: ready ? [] : ['store: opening', 'broker: not listening'] }),
    });
    const { port } = await server.listen('127.0.0.1', 0);
    try {
      const notReady = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(notReady.status).toBe(503);
      const text = await notReady.text();
      expect(text).toContain('broker: not listening');
      ready = true;
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('exposes Prometheus metrics including request counters by verb, resource and code', async () => {
    await api.call('GET', '/api/v1/namespaces/default/pods');
    await api.call('GET', '/api/v1/namespaces/default/pods/missing');
    const r = await api.call('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = r.body as string;
    // Prometheus text format: every non-comment line is "name{labels} value".
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? -?[0-9.e+-]+|NaN|[+-]Inf$/);
    }
    expect(text).toMatch(/drover_api_requests_total\{verb="list",resource="pods",code="200"\} [1-9]/);
    expect(text).toMatch(/drover_api_requests_total\{verb="get",resource="pods",code="404"\} [1-9]/);
    expect(text).toContain('drover_api_request_duration_seconds_bucket');
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});
