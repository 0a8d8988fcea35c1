/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeLeases } from '../../../hub/leases/node-leases.js';
import { parseMetricsRoute } from '../../../hub/api/resource-metrics.js';
import { pod, putNode, startTestApi, type TestApi } from './support.js';

const M = '/apis/metrics.k8s.io/v1beta1';

describe('metrics.k8s.io/v1beta1 from the node leases', () => {
  let api: TestApi;
  const leases = createNodeLeases();
  beforeAll(async () => {
    api = await startTestApi({ server: { leases } });
    await putNode(api.store, 'pi-1', { capacity: { cpu: '4', memory: '8Gi' } });
    await putNode(api.store, 'pi-2', { capacity: { cpu: '2', memory: '4Gi' } });
    expect((await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('web', { nodeName: 'pi-1' }) })).status).toBe(201);
    expect((await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('idle', { nodeName: 'pi-1' }) })).status).toBe(201);
    const uid = (await api.call('GET', '/api/v1/namespaces/default/pods/web')).body.metadata.uid;
    leases.renew('pi-1', Date.now(), { cpuPercent: 25, memoryUsedBytes: 2 * 1024 ** 3, timestamp: '2026-12-02T04:00:00.000Z' }, {
      timestamp: '2026-12-02T04:00:00.000Z',
      windowSeconds: 5.002,
      pods: [
        { namespace: 'default', name: 'web', uid, containers: [{ name: 'main', cpuNanoCores: 12_345_678, memoryBytes: 5 * 1024 * 1024 }] },
        // a pod the node has no business reporting (it is not bound there) is ignored
        { namespace: 'default', name: 'ghost', containers: [{ name: 'main', cpuNanoCores: 1, memoryBytes: 1 }] },
      ],
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('routes the metrics paths', () => {
    expect(parseMetricsRoute(['nodes'])).toMatchObject({ resource: 'nodes', name: undefined });
    expect(parseMetricsRoute(['namespaces', 'default', 'pods', 'web'])).toMatchObject({ resource: 'pods', namespace: 'default', name: 'web' });
    expect(parseMetricsRoute(['pods'])).toMatchObject({ resource: 'pods', namespace: undefined });
    expect(parseMetricsRoute(['nodes', 'a', 'b'])).toBeUndefined();
  });

  it('discovery lists NodeMetrics and PodMetrics', async () => {
    const r = await api.call('GET', M);
    expect(r.body.resources.map((x: any) => `${x.name}:${x.kind}:${x.namespaced}`)).toEqual(['nodes:NodeMetrics:false', 'pods:PodMetrics:true']);
    expect((await api.call('GET', '/apis')).body.groups.map((g: any) => g.name)).toContain('metrics.k8s.io');
  });

  it('NodeMetrics: the CPU share of the capacity in nanocores, memory used, only for nodes that reported', async () => {
    const list = await api.call('GET', `${M}/nodes`);
    expect(list.body.kind).toBe('NodeMetricsList');
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ kind: 'NodeMetrics', metadata: { name: 'pi-1' }, window: '5.002s', usage: { cpu: '1000000000n', memory: '2097152Ki' } });
    expect((await api.call('GET', `${M}/nodes/pi-1`)).body.usage.cpu).toBe('1000000000n');
    expect((await api.call('GET', `${M}/nodes/pi-2`)).status).toBe(404);
  });

  it('PodMetrics: per container, namespaced, only what the pod\'s own node reported', async () => {
    const list = await api.call('GET', `${M}/namespaces/default/pods`);
    expect(list.body.items.map((p: any) => p.metadata.name)).toEqual(['web']);
    expect(list.body.items[0]).toMatchObject({
      kind: 'PodMetrics',
      metadata: { name: 'web', namespace: 'default' },
      timestamp: '2026-12-02T04:00:00.000Z',
      window: '5.002s',
      containers: [{ name: 'main', usage: { cpu: '12345678n', memory: '5120Ki' } }],
    });
    expect((await api.call('GET', `${M}/namespaces/default/pods/idle`)).status).toBe(404);
    expect((await api.call('GET', `${M}/pods`)).body.items).toHaveLength(1);
    expect((await api.call('GET', `${M}/namespaces/other/pods`)).body.items).toHaveLength(0);
  });

  it('RBAC as reading pods and nodes; read only', async () => {
    expect((await api.call('GET', `${M}/namespaces/default/pods`, { token: api.tokens.view })).status).toBe(200);
    expect((await api.call('GET', `${M}/namespaces/default/pods`, { token: api.tokens.editTeamA })).status).toBe(403);
    expect((await api.call('GET', `${M}/nodes`, { token: api.tokens.editTeamA })).status).toBe(403);
    expect((await api.call('DELETE', `${M}/nodes/pi-1`)).status).toBe(405);
  });

  it('an offline node has no pod metrics left', async () => {
    leases.end('pi-1', Date.now(), 'gone');
    expect((await api.call('GET', `${M}/namespaces/default/pods`)).body.items).toHaveLength(0);
  });
});
