/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeLeases, type NodeLeases } from '../../../hub/leases/node-leases.js';
import { microTime } from '../../../hub/api/node-lease-api.js';
import { openWatch, putNode, startTestApi, type TestApi } from './support.js';

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';

describe('coordination.k8s.io/v1 Leases', () => {
  let api: TestApi;
  let leases: NodeLeases;
  beforeAll(async () => {
    leases = createNodeLeases();
    api = await startTestApi({ server: { leases, nodeLeasePollMs: 50 } });
    await putNode(api.store, 'pi-1');
    await putNode(api.store, 'pi-2');
    leases.renew('pi-1', Date.parse('2026-12-02T04:00:00.123Z'));
    leases.seed('pi-2', Date.now()); // as node health does at hub start
  });
  afterAll(async () => {
    await api?.close();
  });

  it('serves one Lease per Node in kube-node-lease from the node leases, renewTime a MicroTime', async () => {
    const one = await api.call('GET', `${LEASES}/pi-1`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'pi-1', namespace: 'kube-node-lease', ownerReferences: [{ kind: 'Node', name: 'pi-1' }] },
      spec: { holderIdentity: 'pi-1', leaseDurationSeconds: 40, renewTime: '2026-12-02T04:00:00.123000Z' },
    });
    const list = await api.call('GET', LEASES);
    expect(list.body.kind).toBe('LeaseList');
    expect(list.body.items.map((l: any) => l.metadata.name)).toEqual(['pi-1', 'pi-2']);
    // a node not heard from since the hub started has a Lease without renewTime (its seeded lease is no renewal)
    expect(list.body.items[1].spec.renewTime).toBeUndefined();
    expect((await api.call('GET', `${LEASES}/nope`)).status).toBe(404);
    expect(microTime(0)).toBe('1970-01-01T00:00:00.000000Z');
  });

  it('refuses writes in kube-node-lease (the hub keeps them) but stores Leases elsewhere, with the roles of other objects', async () => {
    const lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'pi-1' }, spec: { holderIdentity: 'me' } };
    const refused = await api.call('POST', LEASES, { body: lease });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/read-only/);
    const mine = { ...lease, metadata: { name: 'my-controller' }, spec: { holderIdentity: 'replica-a', leaseDurationSeconds: 15 } };
    const created = await api.call('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { body: mine, token: api.tokens.edit });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const got = await api.call('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/my-controller');
    expect(got.body.spec).toEqual({ holderIdentity: 'replica-a', leaseDurationSeconds: 15 });
    expect((await api.call('POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { body: { ...mine, metadata: { name: 'x' } }, token: api.tokens.view })).status).toBe(403);
    expect((await api.call('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases', { token: api.tokens.view })).body.items).toHaveLength(1);
    // across namespaces (kubectl get leases -A): the stored ones and the node Leases, in namespace/name order, paged
    const all = await api.call('GET', '/apis/coordination.k8s.io/v1/leases');
    expect(all.body.items.map((l: any) => `${l.metadata.namespace}/${l.metadata.name}`)).toEqual(['default/my-controller', 'kube-node-lease/pi-1', 'kube-node-lease/pi-2']);
    const page = await api.call('GET', '/apis/coordination.k8s.io/v1/leases?limit=2');
    expect(page.body.metadata.remainingItemCount).toBe(1);
    const rest = await api.call('GET', `/apis/coordination.k8s.io/v1/leases?limit=2&continue=${page.body.metadata.continue}`);
    expect(rest.body.items.map((l: any) => l.metadata.name)).toEqual(['pi-2']);
  });

  it('lists the kind in discovery', async () => {
    const groups = await api.call('GET', '/apis');
    expect(groups.body.groups.map((g: any) => g.name)).toContain('coordination.k8s.io');
    const resources = await api.call('GET', '/apis/coordination.k8s.io/v1');
    expect(resources.body.resources[0]).toMatchObject({ name: 'leases', kind: 'Lease', namespaced: true });
  });

  it('a watch sends the Leases, then MODIFIED when a node renews, and bookmarks', async () => {
    const w = await openWatch(api, `${LEASES}?watch=1&allowWatchBookmarks=true`);
    const initial = await w.next(2);
    expect(initial.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED pi-1', 'ADDED pi-2']);
    const renewedAt = Date.now() + 5000; // after its seeding (a renewal never moves back)
    leases.renew('pi-2', renewedAt);
    const events: { type: string; object: any }[] = [];
    while (!events.some((e) => e.type === 'MODIFIED')) events.push(...(await w.next(1)));
    expect(events.find((e) => e.type === 'MODIFIED')!.object.spec).toMatchObject({ holderIdentity: 'pi-2', renewTime: microTime(renewedAt) });
    while (!events.some((e) => e.type === 'BOOKMARK')) events.push(...(await w.next(1)));
    expect(events.find((e) => e.type === 'BOOKMARK')!.object).toMatchObject({ kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { resourceVersion: expect.any(String) } });
    w.close();
  });
});
