/**
 * Pod Security admission over a real informer cache (SQLite store): namespace labels and defaults,
 * enforce / warn / audit, exemptions, the system namespace, Drover's toleration rule, namespace label
 * changes, and the controllers' pod creates.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createObjectCache, type ObjectCache } from '../../../../hub/cache/object-cache.js';
import type { Store } from '../../../../hub/store/store.js';
import { admitComponentPod, createPodSecurityAdmission, type Requester } from '../../../../hub/admission/pod-security/admission.js';
import { AdmissionForbiddenError, AdmissionInvalidError } from '../../../../hub/admission/errors.js';
import { silentLogger } from '../../../../protocol/logger.js';
import type { Namespace } from '../../../../protocol/objects/namespace.js';
import type { Pod } from '../../../../protocol/objects/pod.js';
import { openStore, tempDir } from '../../store/helpers.js';

const EDIT: Requester = { name: 'tok-edit', admin: false };
const ADMIN: Requester = { name: 'tok-admin', admin: true };
const IMAGE = 'drover.local/busybox:test';

let cleanup: () => Promise<void>;
let store: Store;
let cache: ObjectCache;

const namespace = (name: string, labels?: Record<string, string>): Namespace => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...(labels ? { labels } : {}) } });
const pod = (name: string, ns: string, spec: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns },
  spec: { containers: [{ name: 'c', image: IMAGE }], ...spec },
});
const hostPathPod = (name: string, ns: string) => pod(name, ns, { volumes: [{ name: 'root', hostPath: { path: '/' } }] });

async function putNamespace(ns: Namespace): Promise<void> {
  const written = await store.create({ ...ns, metadata: { ...ns.metadata, namespace: '' } });
  await cache.waitFor(Number(written.metadata.resourceVersion));
}

beforeEach(async () => {
  const t = await tempDir('drover-admission-');
  cleanup = t.cleanup;
  store = await openStore(t.dir);
  cache = createObjectCache({ store, logger: silentLogger() });
  await cache.start();
  await putNamespace(namespace('default'));
  await putNamespace(namespace('kube-system'));
});
afterEach(async () => {
  cache.stop();
  await store.close();
  await cleanup();
});

describe('Pod Security admission', () => {
  it('enforces baseline by default: refuses a hostPath pod of an edit token, with the audit annotations', () => {
    const admission = createPodSecurityAdmission({ cache });
    const d = admission.admitPod({ requester: EDIT, namespace: 'default', pod: hostPathPod('x', 'default') });
    expect(d).toEqual({
      allowed: false,
      violation: 'violates PodSecurity "baseline:latest": hostPath volumes (volume "root")',
      warnings: [],
      annotations: { 'pod-security.kubernetes.io/enforce-policy': 'baseline:latest', 'pod-security.kubernetes.io/audit-violations': 'would violate PodSecurity "baseline:latest": hostPath volumes (volume "root")' },
    });
    expect(admission.admitPod({ requester: EDIT, namespace: 'default', pod: pod('ok', 'default') })).toEqual({
      allowed: true,
      warnings: [],
      annotations: { 'pod-security.kubernetes.io/enforce-policy': 'baseline:latest' },
    });
  });

  it('warns and audits at the levels the labels choose, without refusing', async () => {
    await putNamespace(namespace('team', { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/audit': 'baseline' }));
    const d = createPodSecurityAdmission({ cache }).admitPod({ requester: EDIT, namespace: 'team', pod: hostPathPod('x', 'team') });
    expect(d.allowed).toBe(true);
    expect(d.warnings).toHaveLength(1);
    expect(d.warnings[0]).toMatch(/^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "c" must set/);
    expect(d.warnings[0]).toContain('restricted volume types (volume "root" uses restricted volume type "hostPath")');
    expect(d.annotations['pod-security.kubernetes.io/audit-violations']).toBe('would violate PodSecurity "baseline:latest": hostPath volumes (volume "root")');
  });

  it('exempts admin tokens by default (exempt: user), and not when told otherwise; token ids and namespaces can be exempt', async () => {
    expect(createPodSecurityAdmission({ cache }).admitPod({ requester: ADMIN, namespace: 'default', pod: hostPathPod('x', 'default') })).toEqual({
      allowed: true,
      warnings: [],
      annotations: { 'pod-security.kubernetes.io/exempt': 'user' },
    });
    const strict = createPodSecurityAdmission({ cache, exemptions: { adminTokens: false, tokens: ['tok-edit'], namespaces: ['infra'] } });
    expect(strict.admitPod({ requester: ADMIN, namespace: 'default', pod: hostPathPod('x', 'default') }).allowed).toBe(false);
    expect(strict.admitPod({ requester: EDIT, namespace: 'default', pod: hostPathPod('x', 'default') }).annotations).toEqual({ 'pod-security.kubernetes.io/exempt': 'user' });
    expect(strict.admitPod({ requester: { name: 'other', admin: false }, namespace: 'infra', pod: hostPathPod('x', 'infra') }).annotations).toEqual({ 'pod-security.kubernetes.io/exempt': 'namespace' });
  });

  it('leaves kube-system privileged unless its labels say otherwise, and takes the hub default elsewhere', async () => {
    expect(createPodSecurityAdmission({ cache }).admitPod({ requester: EDIT, namespace: 'kube-system', pod: hostPathPod('x', 'kube-system') }).allowed).toBe(true);
    const restricted = createPodSecurityAdmission({ cache, defaults: { enforce: { level: 'restricted', version: 'latest' }, warn: { level: 'restricted', version: 'latest' }, audit: { level: 'restricted', version: 'latest' } } });
    expect(restricted.admitPod({ requester: EDIT, namespace: 'default', pod: pod('plain', 'default') }).violation).toMatch(/^violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  });

  it('evaluates an update only when the spec changed (Kubernetes evaluates significant updates only)', async () => {
    const admission = createPodSecurityAdmission({ cache });
    const old = hostPathPod('x', 'default'); // admitted earlier (by an admin, say)
    const relabelled = { ...old, metadata: { ...old.metadata, labels: { a: 'b' } } };
    expect(admission.admitPod({ requester: EDIT, namespace: 'default', pod: relabelled, old })).toEqual({ allowed: true, warnings: [], annotations: {} });
    const bound = { ...old, spec: { ...old.spec, nodeName: 'any-node' } };
    expect(admission.admitPod({ requester: EDIT, namespace: 'default', pod: bound, old }).allowed).toBe(false);
  });

  it("Drover's rule: tolerating every taint needs an admin token or a privileged namespace", async () => {
    const admission = createPodSecurityAdmission({ cache });
    const everywhere = pod('x', 'default', { tolerations: [{ key: 'a', operator: 'Exists' }, { operator: 'Exists' }] });
    expect(admission.admitPod({ requester: EDIT, namespace: 'default', pod: everywhere })).toMatchObject({
      allowed: false,
      violation: 'spec.tolerations[1]: tolerating every taint (operator Exists without a key) needs an admin token or a namespace whose pod-security.kubernetes.io/enforce level is privileged',
    });
    expect(admission.admitPod({ requester: ADMIN, namespace: 'default', pod: everywhere }).allowed).toBe(true);
    expect(admission.admitPod({ requester: EDIT, namespace: 'kube-system', pod: { ...everywhere, metadata: { name: 'x', namespace: 'kube-system' } } }).allowed).toBe(true);
    expect(admission.admitPod({ requester: EDIT, namespace: 'default', pod: pod('k', 'default', { tolerations: [{ key: 'a', operator: 'Exists' }] }) }).allowed).toBe(true);
    const template = { spec: everywhere.spec };
    expect(admission.admitTemplate({ requester: EDIT, namespace: 'default', template }).violation).toMatch(/^spec\.template\.spec\.tolerations\[1\]: tolerating every taint/);
  });

  it('never refuses a pod template for Pod Security: it warns (the controller refuses its pods)', () => {
    const admission = createPodSecurityAdmission({ cache });
    const template = { metadata: { labels: { app: 'w' } }, spec: hostPathPod('t', 'default').spec };
    expect(admission.admitTemplate({ requester: EDIT, namespace: 'default', template })).toEqual({
      allowed: true,
      warnings: ['would violate PodSecurity "baseline:latest": hostPath volumes (volume "root")'],
      annotations: { 'pod-security.kubernetes.io/audit-violations': 'would violate PodSecurity "baseline:latest": hostPath volumes (volume "root")' },
    });
    expect(() => admitComponentPod(admission, 'replicaset-controller', { ...hostPathPod('', 'default'), metadata: { name: '', generateName: 'web-6d4f-', namespace: 'default' } })).toThrow(
      new AdmissionForbiddenError('pods', 'web-6d4f-', 'violates PodSecurity "baseline:latest": hostPath volumes (volume "root")'),
    );
  });

  it('a controller is never exempt, and not bound by the toleration rule (checked on its template)', () => {
    const admission = createPodSecurityAdmission({ cache, exemptions: { tokens: ['system:daemonset-controller'] } });
    expect(() => admitComponentPod(admission, 'daemonset-controller', hostPathPod('d', 'default'))).toThrow(AdmissionForbiddenError);
    expect(() => admitComponentPod(admission, 'daemonset-controller', pod('d', 'default', { tolerations: [{ operator: 'Exists' }] }))).not.toThrow();
  });

  it('refuses unreadable namespace labels (422) on create, and on update only when they changed', () => {
    const admission = createPodSecurityAdmission({ cache });
    const bad = namespace('n', { 'pod-security.kubernetes.io/enforce': 'off' });
    expect(() => admission.admitNamespace({ requester: ADMIN, namespace: bad })).toThrow(AdmissionInvalidError);
    expect(() => admission.admitNamespace({ requester: ADMIN, namespace: bad })).toThrow(
      'Namespace "n" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "off": must be one of privileged, baseline, restricted',
    );
    const relabelled = namespace('n', { 'pod-security.kubernetes.io/enforce': 'off', team: 'a' });
    expect(admission.admitNamespace({ requester: ADMIN, namespace: relabelled, old: bad }).allowed).toBe(true);
  });

  it('lets only admin tokens set a level weaker than the default', () => {
    const admission = createPodSecurityAdmission({ cache });
    const privileged = namespace('default', { 'pod-security.kubernetes.io/enforce': 'privileged' });
    expect(admission.admitNamespace({ requester: EDIT, namespace: privileged, old: namespace('default') })).toMatchObject({
      allowed: false,
      violation: 'only an admin token may set pod-security.kubernetes.io/enforce to "privileged", a level weaker than the default "baseline"',
    });
    expect(admission.admitNamespace({ requester: ADMIN, namespace: privileged, old: namespace('default') }).allowed).toBe(true);
    expect(admission.admitNamespace({ requester: EDIT, namespace: namespace('default', { 'pod-security.kubernetes.io/warn': 'restricted' }), old: namespace('default') }).allowed).toBe(true);
  });

  it('warns about existing pods when the enforce level gets stricter, one line per set of reasons', async () => {
    for (const name of ['web-b', 'web-a', 'db']) {
      const p = name === 'db' ? pod(name, 'default', { hostNetwork: true }) : hostPathPod(name, 'default');
      const written = await store.create(p);
      await cache.waitFor(Number(written.metadata.resourceVersion));
    }
    const d = createPodSecurityAdmission({ cache }).admitNamespace({
      requester: ADMIN,
      namespace: namespace('default', { 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.32' }),
      old: namespace('default', { 'pod-security.kubernetes.io/enforce': 'privileged' }),
    });
    expect(d.warnings).toEqual([
      'existing pods in namespace "default" violate the new PodSecurity enforce level "baseline:v1.32"',
      'db: host namespaces',
      'web-a (and 1 other pod): hostPath volumes',
    ]);
  });
});
