/**
 * drover autoscale, get/describe hpa and top pods against a real API (no controller: the HPA's status
 * is written as the controller would), and the API's validation and defaulting of autoscaling/v2.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIO } from '../../../hub/cli/io.js';
import { runCli } from '../../../hub/cli/program.js';
import { createNodeLeases } from '../../../hub/leases/index.js';
import type { HorizontalPodAutoscaler } from '../../../protocol/objects/horizontal-pod-autoscaler.js';
import { startTestApi, type TestApi } from '../api/support.js';

describe('drover autoscale, get hpa, describe hpa, top pods', () => {
  let api: TestApi;
  let env: NodeJS.ProcessEnv;
  const leases = createNodeLeases();
  const post = (path: string, body: unknown) => api.call('POST', path, { body });
  const drover = async (args: string[]) => {
    const io = captureIO({ env });
    const code = await runCli(args, io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  beforeAll(async () => {
    api = await startTestApi({ server: { leases } });
    env = { DROVER_SERVER: api.url, DROVER_TOKEN: api.tokens.admin, DROVER_CONFIG: join(api.dir, 'none.json') };
    const labels = { app: 'gateway' };
    const created = await post('/apis/apps/v1/namespaces/default/deployments', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'gateway' },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'registry.local/busybox:1', resources: { requests: { cpu: '200m' } } }] } } },
    });
    expect(created.body, JSON.stringify(created.body)).toMatchObject({ kind: 'Deployment' });
  });
  afterAll(async () => {
    await api.close();
  });

  it('creates an autoscaling/v2 HPA for a Deployment, with the API defaults', async () => {
    expect(await drover(['autoscale', 'deployment', 'gateway', '--min', '2', '--max', '10', '--cpu-percent', '60'])).toEqual({
      code: 0,
      stdout: 'horizontalpodautoscaler.autoscaling/gateway autoscaled\n',
      stderr: '',
    });
    const hpa = (await api.call('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/gateway')).body as HorizontalPodAutoscaler;
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }],
    });
    const missing = await drover(['autoscale', 'deployment/nope', '--max', '3']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/not found/);
    const bad = await drover(['autoscale', 'deployment/gateway', '--max', '1', '--min', '3', '--name', 'other']);
    expect(bad.stderr).toMatch(/--max \(1\) must be at least --min \(3\)/);
  });

  it('shows kubectl\'s columns, and describe explains the decision', async () => {
    let r = await drover(['get', 'hpa']);
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
    expect(r.stdout).toMatch(/gateway\s+Deployment\/gateway\s+cpu: <unknown>\/60%\s+2\s+10\s+0\s+\S+/);

    const cur = (await api.call('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/gateway')).body as HorizontalPodAutoscaler;
    await api.store.update<HorizontalPodAutoscaler>({
      ...cur,
      status: {
        currentReplicas: 2,
        desiredReplicas: 3,
        currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 85, averageValue: '170m' } } }],
        conditions: [
          { type: 'AbleToScale', status: 'True', reason: 'SucceededRescale', message: 'the HPA controller was able to update the target scale to 3' },
          { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound', message: 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)' },
        ],
      },
    });
    r = await drover(['get', 'hpa']);
    expect(r.stdout).toMatch(/gateway\s+Deployment\/gateway\s+cpu: 85%\/60%\s+2\s+10\s+2\s+\S+/);
    r = await drover(['describe', 'hpa', 'gateway']);
    expect(r.stdout).toMatch(/Reference:\s+Deployment\/gateway/);
    expect(r.stdout).toMatch(/resource cpu on pods  \(as a percentage of request\):\s+85% \(170m\) \/ 60%/);
    expect(r.stdout).toMatch(/Deployment pods:\s+2 current \/ 3 desired/);
    expect(r.stdout).toMatch(/AbleToScale\s+True\s+SucceededRescale\s+the HPA controller was able to update the target scale to 3/);
  });

  it('refuses bad HPAs naming the field', async () => {
    const base = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'bad' } };
    let r = await post('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', { ...base, spec: { scaleTargetRef: { kind: 'Deployment', name: 'gateway' }, minReplicas: 5, maxReplicas: 2 } });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body)).toMatch(/spec\.maxReplicas.*must be greater than or equal to minReplicas/);
    r = await post('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', {
      ...base,
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'gateway' }, maxReplicas: 2, metrics: [{ type: 'External', external: {} }] },
    });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body)).toMatch(/spec\.metrics\[0\]/);
    r = await post('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', {
      ...base,
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'gateway' }, maxReplicas: 2, behavior: { scaleDown: { policies: [{ type: 'Pods', value: 1, periodSeconds: 4000 }] } } },
    });
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body)).toMatch(/spec\.behavior\.scaleDown\.policies\[0\]\.periodSeconds/);
    // a behavior is completed with Kubernetes' defaults
    r = await post('/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers', {
      ...base,
      metadata: { name: 'good' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'gateway' }, maxReplicas: 4, behavior: { scaleDown: { stabilizationWindowSeconds: 10 } } },
    });
    expect(r.status).toBe(201);
    expect((r.body as HorizontalPodAutoscaler).spec.behavior).toEqual({
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 10, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
    expect((r.body as HorizontalPodAutoscaler).spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
  });

  it('top pods shows the agents\' per-pod and per-container samples', async () => {
    await post('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'gateway-a', labels: { app: 'gateway' } },
      spec: { nodeName: 'pi-1', containers: [{ name: 'web', image: 'registry.local/busybox:1' }, { name: 'side', image: 'registry.local/busybox:1' }] },
    });
    leases.renew('pi-1', Date.now(), undefined, {
      timestamp: new Date().toISOString(),
      windowSeconds: 15,
      pods: [{ namespace: 'default', name: 'gateway-a', containers: [{ name: 'web', cpuNanoCores: 250e6, memoryBytes: 20 * 2 ** 20 }, { name: 'side', cpuNanoCores: 5e6, memoryBytes: 4 * 2 ** 20 }] }],
    });
    let r = await drover(['top', 'pods']);
    expect(r.stdout).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\ngateway-a\s+255m\s+24Mi\n$/);
    r = await drover(['top', 'pods', '--containers', '-l', 'app=gateway']);
    expect(r.stdout).toMatch(/POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\ngateway-a\s+web\s+250m\s+20Mi\ngateway-a\s+side\s+5m\s+4Mi\n/);
  });

  it('serves autoscaling/v1 (kubectl 1.32 autoscale) from the stored v2 objects', async () => {
    const path = '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers';
    const created = await post(path, {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'legacy' },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' }, maxReplicas: 5, targetCPUUtilizationPercentage: 70 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ apiVersion: 'autoscaling/v1', spec: { minReplicas: 1, maxReplicas: 5, targetCPUUtilizationPercentage: 70 } });
    const v2 = (await api.call('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/legacy')).body as HorizontalPodAutoscaler;
    expect(v2.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
    // a v2 client adds a behavior; a v1 update keeps it
    await api.store.update<HorizontalPodAutoscaler>({ ...v2, spec: { ...v2.spec, behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } } });
    const v1 = (await api.call('GET', `${path}/legacy`)).body as { spec: Record<string, unknown>; metadata: Record<string, unknown> };
    const put = await api.call('PUT', `${path}/legacy`, { body: { ...v1, spec: { ...v1.spec, maxReplicas: 6 } } });
    expect(put.status).toBe(200);
    const after = (await api.call('GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/legacy')).body as HorizontalPodAutoscaler;
    expect(after.spec).toMatchObject({ maxReplicas: 6, behavior: { scaleDown: { stabilizationWindowSeconds: 30 } } });
    const list = (await api.call('GET', path)).body as { apiVersion: string; items: { apiVersion: string }[] };
    expect(list.apiVersion).toBe('autoscaling/v1');
    expect(list.items.every((i) => i.apiVersion === 'autoscaling/v1')).toBe(true);
    const bad = await post(path, { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'x' }, spec: { maxReplicas: 'many' } });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body)).toMatch(/spec\.scaleTargetRef|spec\.maxReplicas/);
    expect((await api.call('PATCH', `${path}/legacy`, { body: {}, contentType: 'application/merge-patch+json' })).status).toBe(405);
  });
});
