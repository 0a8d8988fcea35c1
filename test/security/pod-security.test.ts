/**
 * Issue 12, finding 1 (a namespace-scoped edit token gets root on any node) and finding 9's first
 * half (edit tokens writing status and Events as components), attacked through a real hub over
 * HTTPS. Each case: the attack, what Kubernetes answers (expected), what the hub answered (observed).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../hub/audit/audit-event.js';
import { eventually, startSecureHub, type SecureHub } from './support.js';

const IMAGE = 'drover.local/busybox:test';
const NS = 'team-a';
const MERGE = 'application/merge-patch+json';

interface Attack {
  attack: string;
  path: string;
  body: Record<string, unknown>;
  /** As Kubernetes answers it. */
  expected: { status: number; message: string };
}

const pod = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS },
  spec: { containers: [{ name: 'c', image: IMAGE, command: ['sleep', '3600'] }], ...spec },
});

const ATTACKS: Attack[] = [
  {
    attack: 'mount the host root with hostPath on a node of its choosing',
    path: `/api/v1/namespaces/${NS}/pods`,
    body: pod('root', { nodeName: 'sec-ps-node', volumes: [{ name: 'root', hostPath: { path: '/' } }] }),
    expected: { status: 403, message: 'pods "root" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "root")' },
  },
  {
    attack: "share the host's network and mount containerd's socket",
    path: `/api/v1/namespaces/${NS}/pods`,
    body: pod('sock', { hostNetwork: true, volumes: [{ name: 'containerd', hostPath: { path: '/run/containerd/containerd.sock', type: 'Socket' } }] }),
    expected: {
      status: 403,
      message: 'pods "sock" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), hostPath volumes (volume "containerd")',
    },
  },
  {
    attack: "publish a port on the node's address",
    path: `/api/v1/namespaces/${NS}/pods`,
    body: pod('port', { containers: [{ name: 'c', image: IMAGE, ports: [{ containerPort: 22, hostPort: 22 }] }] }),
    expected: { status: 403, message: 'pods "port" is forbidden: violates PodSecurity "baseline:latest": hostPort (container "c" uses hostPort 22)' },
  },
  {
    attack: "probe the node's own services through a probe host",
    path: `/api/v1/namespaces/${NS}/pods`,
    body: pod('probe', { containers: [{ name: 'c', image: IMAGE, livenessProbe: { httpGet: { port: 7070, host: '127.0.0.1' } } }] }),
    expected: {
      status: 403,
      message: 'pods "probe" is forbidden: violates PodSecurity "baseline:latest": probe or lifecycle host (container "c" uses probe or lifecycle host "127.0.0.1")',
    },
  },
  {
    attack: 'tolerate every taint, to land on and stay on any node (Drover\'s own rule; Kubernetes has none)',
    path: `/api/v1/namespaces/${NS}/pods`,
    body: pod('everywhere', { tolerations: [{ operator: 'Exists' }] }),
    expected: {
      status: 403,
      message:
        'pods "everywhere" is forbidden: spec.tolerations[0]: tolerating every taint (operator Exists without a key) needs an admin token or a namespace whose pod-security.kubernetes.io/enforce level is privileged',
    },
  },
];

describe('attacks with a namespace-scoped edit token: Pod Security and component-only writes', () => {
  let h: SecureHub;
  let edit: { token: string; id: string };

  beforeAll(async () => {
    h = await startSecureHub('sec-podsec');
    expect((await h.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })).status).toBe(201);
    edit = await h.createApiToken('edit', NS);
  });
  afterAll(async () => {
    await h.close();
  });

  for (const a of ATTACKS) {
    it(`refuses: ${a.attack}`, async () => {
      const observed = await h.api<{ message: string }>('POST', a.path, a.body, edit.token);
      expect({ status: observed.status, message: observed.body.message }).toEqual(a.expected);
      expect(observed.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403 });
      const name = (a.body.metadata as { name: string }).name;
      expect((await h.api('GET', `/api/v1/namespaces/${NS}/pods/${name}`)).status).toBe(404);
    });
  }

  it('refuses turning an admitted pod into a privileged one by PATCH, and admits binding it to a node by PATCH', async () => {
    // attack: create a harmless pod, then add a hostPath volume and pick its node afterwards
    expect((await h.api('POST', `/api/v1/namespaces/${NS}/pods`, pod('later', {}), edit.token)).status).toBe(201);
    const widened = await h.api<{ message: string }>('PATCH', `/api/v1/namespaces/${NS}/pods/later`, { spec: { nodeName: 'sec-ps-node', volumes: [{ name: 'etc', hostPath: { path: '/etc' } }] } }, edit.token, MERGE);
    // expected: Kubernetes admits pod updates too (and refuses this one)
    expect(widened.status).toBe(403);
    expect(widened.body.message).toBe('pods "later" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "etc")');
    // spec.nodeName alone is allowed (Kubernetes allows it too), and admitted like any other change
    const bound = await h.api<{ spec: { nodeName?: string } }>('PATCH', `/api/v1/namespaces/${NS}/pods/later`, { spec: { nodeName: 'sec-ps-node' } }, edit.token, MERGE);
    expect(bound.status).toBe(200);
    expect(bound.body.spec.nodeName).toBe('sec-ps-node');
  });

  it('warns on a Deployment whose pods would be refused, and its ReplicaSet cannot create them', async () => {
    // attack: let the controllers create the privileged pods instead
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: NS },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: IMAGE }], volumes: [{ name: 'root', hostPath: { path: '/' } }] } },
      },
    };
    const created = await h.api('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deployment, edit.token);
    // expected: 201 with a Warning header (Kubernetes only warns on pod templates), then FailedCreate events and no pods
    expect(created.status).toBe(201);
    expect(created.headers.get('warning')).toBe('299 - "would violate PodSecurity \\"baseline:latest\\": hostPath volumes (volume \\"root\\")"');
    const failed = await eventually(async () => {
      const events = await h.api<{ items: { reason?: string; message?: string; involvedObject: { kind?: string } }[] }>('GET', `/api/v1/namespaces/${NS}/events`);
      return events.body.items.find((e) => e.reason === 'FailedCreate' && e.involvedObject.kind === 'ReplicaSet');
    });
    expect(failed.message).toMatch(/^Error creating: pods "web-[a-z0-9]+-" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes \(volume "root"\)$/);
    const pods = await h.api<{ items: { metadata: { name: string } }[] }>('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dweb`);
    expect(pods.body.items).toEqual([]);
  });

  it('refuses relabelling its namespace privileged (only admin tokens may weaken it)', async () => {
    const relabel = await h.api<{ message: string }>('PATCH', `/api/v1/namespaces/${NS}`, { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } }, edit.token, MERGE);
    expect(relabel.status).toBe(403);
    expect(relabel.body.message).toBe(`namespaces "${NS}" is forbidden: token "${edit.id}" (role edit, namespace ${NS}) cannot patch resource "namespaces" at the cluster scope`);
  });

  it("refuses writing a pod's status (what the agent reports)", async () => {
    const current = await h.api<Record<string, unknown>>('GET', `/api/v1/namespaces/${NS}/pods/later`);
    const forged = await h.api<{ message: string }>('PUT', `/api/v1/namespaces/${NS}/pods/later/status`, { ...current.body, status: { phase: 'Running', podIP: '10.42.0.9' } }, edit.token);
    // expected: Kubernetes' edit role has no write on pods/status
    expect(forged.status).toBe(403);
    expect(forged.body.message).toBe(`pods "later" is forbidden: token "${edit.id}" (role edit, namespace ${NS}) cannot update resource "pods/status" in namespace "${NS}"`);
    const patched = await h.api('PATCH', `/api/v1/namespaces/${NS}/pods/later/status`, { status: { phase: 'Failed' } }, edit.token, MERGE);
    expect(patched.status).toBe(403);
    expect((await h.api<{ status: { phase: string } }>('GET', `/api/v1/namespaces/${NS}/pods/later`)).body.status.phase).toBe('Pending');
  });

  it('refuses Events that claim to come from the agent or the kubelet, and takes its own', async () => {
    const event = (name: string, source: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: NS },
      involvedObject: { kind: 'Pod', name: 'later', namespace: NS },
      reason: 'Killing',
      message: 'Stopping container c',
      type: 'Normal',
      source,
    });
    const forged = await h.api<{ message: string }>('POST', `/api/v1/namespaces/${NS}/events`, event('forged', { component: 'drover-agent', host: 'sec-ps-node' }), edit.token);
    expect(forged.status).toBe(403);
    expect(forged.body.message).toBe(
      `events "forged" is forbidden: token "${edit.id}" cannot create events as "drover-agent": that source names one of the cluster's components, which only they and admin tokens may report as`,
    );
    const kubelet = await h.api('POST', `/api/v1/namespaces/${NS}/events`, { ...event('forged-2', { component: 'my-app' }), reportingComponent: 'kubelet' }, edit.token);
    expect(kubelet.status).toBe(403);
    expect((await h.api('POST', `/api/v1/namespaces/${NS}/events`, event('own', { component: 'my-app' }), edit.token)).status).toBe(201);
  });

  it('lets an admin token through (the default exemption) and kube-system stays privileged', async () => {
    const admin = await h.api('POST', `/api/v1/namespaces/${NS}/pods`, pod('admin-root', { volumes: [{ name: 'root', hostPath: { path: '/' } }] }));
    expect(admin.status).toBe(201);
    const system = await h.api('POST', '/api/v1/namespaces/kube-system/pods', { ...pod('agent-helper', { hostNetwork: true }), metadata: { name: 'agent-helper', namespace: 'kube-system' } }, (await h.createApiToken('edit')).token);
    expect(system.status).toBe(201);
    // but a token scoped to team-a cannot write there at all
    expect((await h.api('POST', '/api/v1/namespaces/kube-system/pods', { ...pod('x', {}), metadata: { name: 'x', namespace: 'kube-system' } }, edit.token)).status).toBe(403);
  });

  it('writes who did what to the audit log: token id and role, never its secret; refusals with the Pod Security annotations', async () => {
    const path = join(h.dir, 'hub', 'audit.log');
    const events = await eventually(async () => {
      const lines = (await readFile(path, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
      const parsed = lines.map((l) => JSON.parse(l) as AuditEvent);
      return parsed.some((e) => e.objectRef?.name === 'admin-root') ? parsed : undefined;
    });
    const refused = events.find((e) => e.verb === 'create' && e.responseStatus.code === 403 && e.objectRef?.name === 'root');
    expect(refused).toMatchObject({
      user: { username: edit.id, groups: ['drover:edit'], extra: { 'drover.io/namespace': [NS] } },
      objectRef: { resource: 'pods', namespace: NS, apiGroup: '', apiVersion: 'v1' },
      responseStatus: { code: 403, status: 'Failure', reason: 'Forbidden' },
      annotations: { 'pod-security.kubernetes.io/enforce-policy': 'baseline:latest' },
    });
    expect(refused!.objectRef?.name).toBe('root');
    expect(events.find((e) => e.objectRef?.name === 'admin-root' && e.verb === 'create')).toMatchObject({
      user: { groups: ['drover:admin'] },
      responseStatus: { code: 201 },
      annotations: { 'pod-security.kubernetes.io/exempt': 'user' },
    });
    expect(events.some((e) => e.verb === 'get' && e.objectRef?.name === 'later')).toBe(true);
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain(edit.token.split('.')[2]);
    expect(text).not.toContain(h.hub.adminToken.split('.')[2]);
  });
});
