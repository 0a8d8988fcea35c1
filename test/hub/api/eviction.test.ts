/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
/**
 * pods/eviction through the real API server: a policy/v1 Eviction (JSON or protobuf) deletes the pod
 * gracefully with its deleteOptions; a PodDisruptionBudget that would be broken refuses it with 429 and
 * Kubernetes' message; RBAC is `create` on pods/eviction; discovery lists the subresource the way
 * kubectl drain looks for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeKubernetesProtobuf } from '../../../hub/api/protobuf/codec.js';
import { PDB_VIOLATION_MESSAGE, countBudget } from '../../../hub/api/eviction.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import type { PodDisruptionBudget } from '../../../protocol/objects/pod-disruption-budget.js';
import { pod, putNode, startTestApi, type TestApi } from './support.js';

const READY = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] };

describe('pods/eviction and PodDisruptionBudgets', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    await putNode(api.store, 'n1');
  });
  afterAll(async () => {
    await api.close();
  });

  async function readyPod(name: string, labels: Record<string, string>): Promise<void> {
    const created = await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod(name, { nodeName: 'n1', labels }) });
    expect(created.status).toBe(201);
    const status = await api.call('PATCH', `/api/v1/namespaces/default/pods/${name}/status`, { body: { status: READY }, contentType: 'application/merge-patch+json' });
    expect(status.status).toBe(200);
  }
  const evict = (name: string, extra: Record<string, unknown> = {}, token?: string) =>
    api.call('POST', `/api/v1/namespaces/default/pods/${name}/eviction`, {
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...extra },
      ...(token ? { token } : {}),
    });

  it('an eviction without a budget deletes the pod gracefully with the deleteOptions', async () => {
    await readyPod('free', { app: 'free' });
    const r = await evict('free', { deleteOptions: { gracePeriodSeconds: 7 } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    const got = await api.call('GET', '/api/v1/namespaces/default/pods/free');
    expect(got.body.metadata.deletionTimestamp).toBeTruthy();
    expect(got.body.metadata.deletionGracePeriodSeconds).toBe(7);
  });

  it('a budget that would be broken refuses with 429 and the Kubernetes message; one with room allows one eviction', async () => {
    await readyPod('db-0', { app: 'db' });
    await readyPod('db-1', { app: 'db' });
    const pdb = await api.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
      body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'db' } } } },
    });
    expect(pdb.status, JSON.stringify(pdb.body)).toBe(201);
    // its status is computed when it is read, as the disruption controller would write it
    const before = await api.call('GET', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/db');
    expect(before.body.status).toMatchObject({ disruptionsAllowed: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, conditions: [{ type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods' }] });
    // protobuf, as kubectl drain sends it
    const first = await fetch(`${api.url}/api/v1/namespaces/default/pods/db-0/eviction`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.tokens.admin}`, 'content-type': 'application/vnd.kubernetes.protobuf' },
      body: encodeKubernetesProtobuf({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'db-0', namespace: 'default' }, deleteOptions: {} }),
    });
    expect(first.status).toBe(201);
    const second = await evict('db-1');
    expect(second.status).toBe(429);
    expect(second.body).toMatchObject({ reason: 'TooManyRequests', code: 429, message: PDB_VIOLATION_MESSAGE });
    expect(second.body.details.causes).toEqual([{ reason: 'DisruptionBudget', message: 'The disruption budget db needs 1 healthy pods and has 1 currently' }]);
    expect((await api.call('GET', '/api/v1/namespaces/default/pods/db-1')).body.metadata.deletionTimestamp).toBeUndefined();
    const listed = await api.call('GET', '/apis/policy/v1/namespaces/default/poddisruptionbudgets');
    expect(listed.body.items.find((b: any) => b.metadata.name === 'db').status).toMatchObject({ disruptionsAllowed: 0, currentHealthy: 1, expectedPods: 1, conditions: [{ reason: 'InsufficientPods' }] });
    // a plain DELETE is not held back by budgets, as in Kubernetes
    expect((await api.call('DELETE', '/api/v1/namespaces/default/pods/db-1')).status).toBe(200);
  });

  it('two budgets for one pod are 500, as Kubernetes answers', async () => {
    await readyPod('two', { app: 'two' });
    for (const name of ['two-a', 'two-b']) {
      const r = await api.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', {
        body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'two' } } } },
      });
      expect(r.status).toBe(201);
    }
    const r = await evict('two');
    expect(r.status).toBe(500);
    expect(r.body.message).toMatch(/more than one PodDisruptionBudget/);
  });

  it('RBAC: view may not evict; a name that does not match the URL is 400; a missing pod 404', async () => {
    await readyPod('guarded', { app: 'guarded' });
    const view = await evict('guarded', {}, api.tokens.view);
    expect(view.status).toBe(403);
    expect(view.body.message).toMatch(/cannot create resource "pods\/eviction"/);
    const mismatch = await api.call('POST', '/api/v1/namespaces/default/pods/guarded/eviction', { body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } } });
    expect(mismatch.status).toBe(400);
    expect((await evict('nope')).status).toBe(404);
    expect((await api.call('GET', '/api/v1/namespaces/default/pods/guarded/eviction')).status).toBe(405);
  });

  it('discovery lists pods/eviction (policy/v1 Eviction) and the policy group', async () => {
    const core = await api.call('GET', '/api/v1');
    expect(core.body.resources).toContainEqual(expect.objectContaining({ name: 'pods/eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] }));
    const groups = await api.call('GET', '/apis');
    expect(groups.body.groups.map((g: any) => g.name)).toContain('policy');
  });
});

describe('countBudget', () => {
  const p = (name: string, ready: boolean, terminating = false): Pod =>
    ({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'a' }, ...(terminating ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
      spec: { containers: [] }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    }) as unknown as Pod;
  const budget = (spec: Record<string, unknown>): PodDisruptionBudget =>
    ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b' }, spec: { selector: { matchLabels: { app: 'a' } }, ...spec } }) as PodDisruptionBudget;
  const pods = [p('1', true), p('2', true), p('3', false), p('4', true, true)];

  it('counts non-terminating matching pods; percentages round up', () => {
    expect(countBudget(budget({ minAvailable: 2 }), pods)).toEqual({ expected: 3, currentHealthy: 2, desiredHealthy: 2 });
    expect(countBudget(budget({ minAvailable: '50%' }), pods)).toEqual({ expected: 3, currentHealthy: 2, desiredHealthy: 2 });
    expect(countBudget(budget({ maxUnavailable: 1 }), pods)).toEqual({ expected: 3, currentHealthy: 2, desiredHealthy: 2 });
    expect(countBudget(budget({ maxUnavailable: '34%' }), pods)).toEqual({ expected: 3, currentHealthy: 2, desiredHealthy: 1 });
  });
});
