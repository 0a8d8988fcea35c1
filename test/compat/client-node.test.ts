/**
 * @kubernetes/client-node (1.x, the newest that runs on Node 20) against a real hub over HTTPS: list,
 * create, read, patch, server-side apply, delete, a watch and an Informer, as a program written for Kubernetes uses them.
 */
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompatHub, type CompatHub } from './support.js';

describe('@kubernetes/client-node against the hub', () => {
  let h: CompatHub;
  let kc: k8s.KubeConfig;
  beforeAll(async () => {
    h = await startCompatHub('client-node');
    kc = new k8s.KubeConfig();
    kc.loadFromFile(h.kubeconfig);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('creates, reads, lists, patches and deletes ConfigMaps and Deployments', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'cfg', labels: { app: 'x' } }, data: { a: '1' } } });
    expect((await core.readNamespacedConfigMap({ namespace: 'default', name: 'cfg' })).data).toEqual({ a: '1' });
    const listed = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'app=x' });
    expect(listed.items.map((c) => c.metadata?.name)).toEqual(['cfg']);
    expect(listed.metadata?.resourceVersion).toMatch(/^\d+$/);

    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'web' },
        spec: { replicas: 0, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'registry.local/nginx:1.26', command: ['httpd', '-f'] }] } } },
      },
    });
    // a strategic merge patch through the client: the image changes, the command stays
    await apps.patchNamespacedDeployment(
      { namespace: 'default', name: 'web', body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'registry.local/nginx:1.27' }] } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch),
    );
    const web = await apps.readNamespacedDeployment({ namespace: 'default', name: 'web' });
    expect(web.spec?.template.spec?.containers[0]).toMatchObject({ image: 'registry.local/nginx:1.27', command: ['httpd', '-f'] });

    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'cfg' });
    const missing = await core.readNamespacedConfigMap({ namespace: 'default', name: 'cfg' }).catch((err: unknown) => err);
    expect((missing as { code?: number }).code).toBe(404);
  });

  it('server-side apply through KubernetesObjectApi.patch: creates, records the manager, answers a conflict as an error with code 409', async () => {
    const client = k8s.KubernetesObjectApi.makeApiClient(kc);
    const cm = (value: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa', namespace: 'default' }, data: { mode: value } });
    const created = (await client.patch(cm('a'), undefined, undefined, 'operator', undefined, k8s.PatchStrategy.ServerSideApply)) as k8s.V1ConfigMap;
    expect(created.metadata?.managedFields?.map((m) => [m.manager, m.operation])).toEqual([['operator', 'Apply']]);
    const conflict = await client.patch(cm('b'), undefined, undefined, 'other', undefined, k8s.PatchStrategy.ServerSideApply).catch((err: unknown) => err);
    expect((conflict as { code?: number }).code).toBe(409);
    expect(String((conflict as { body?: unknown }).body)).toContain('conflict with \\"operator\\"');
    const forced = await client.patch(cm('b'), undefined, undefined, 'other', true, k8s.PatchStrategy.ServerSideApply);
    expect((forced as k8s.V1ConfigMap).data).toEqual({ mode: 'b' });
  });

  it('a watch sees ADDED, MODIFIED and DELETED; an Informer keeps a cache and calls back', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const req = await watch.watch('/api/v1/namespaces/default/configmaps', {}, (type: string, obj: k8s.V1ConfigMap) => {
      if (obj.metadata?.name === 'watched') seen.push(type);
    }, () => undefined);

    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps', () => core.listNamespacedConfigMap({ namespace: 'default' }));
    const added: string[] = [];
    informer.on('add', (o: k8s.V1ConfigMap) => added.push(o.metadata!.name!));
    await informer.start();

    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'watched' }, data: { v: '1' } } });
    await core.replaceNamespacedConfigMap({ namespace: 'default', name: 'watched', body: { metadata: { name: 'watched' }, data: { v: '2' } } });
    await core.deleteNamespacedConfigMap({ namespace: 'default', name: 'watched' });
    await expect.poll(() => seen.join(','), { timeout: 20_000 }).toBe('ADDED,MODIFIED,DELETED');
    await expect.poll(() => added.includes('watched'), { timeout: 20_000 }).toBe(true);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'kept' }, data: { v: '1' } } });
    await expect.poll(() => informer.list('default').map((o) => o.metadata?.name), { timeout: 20_000 }).toContain('kept');
    await informer.stop();
    req.abort();
  });
});
