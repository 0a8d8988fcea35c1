/**
 * The real kubectl (1.32) against a real hub over HTTPS with an edit token: Pod Security's warnings
 * reach the user as kubectl prints Kubernetes' (`Warning: would violate PodSecurity ...`), and its
 * refusals as kubectl prints a Forbidden error.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInGroup, startSecureHub, type SecureHub } from './support.js';

const NS = 'team-w';

const podYaml = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${NS}
spec:
  containers:
    - name: c
      image: drover.local/busybox:test
      command: ["sleep", "3600"]
${extra}`;

describe('kubectl and Pod Security', () => {
  let h: SecureHub;
  let kubeconfig: string;

  beforeAll(async () => {
    h = await startSecureHub('sec-kubectl');
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, labels: { 'pod-security.kubernetes.io/warn': 'restricted' } } };
    expect((await h.api('POST', '/api/v1/namespaces', ns)).status).toBe(201);
    const edit = await h.createApiToken('edit', NS);
    kubeconfig = join(h.dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      `apiVersion: v1
kind: Config
clusters:
  - name: drover
    cluster: { server: "${h.hub.httpUrl}", certificate-authority: "${h.hub.caCertPath}" }
users:
  - name: tenant
    user: { token: "${edit.token}" }
contexts:
  - name: drover
    context: { cluster: drover, user: tenant, namespace: ${NS} }
current-context: drover
`,
      { mode: 0o600 },
    );
  });
  afterAll(async () => {
    await h.close();
  });

  const kubectl = (args: string[], input?: string) => runInGroup('kubectl', ['--kubeconfig', kubeconfig, ...args], { ...(input !== undefined ? { input } : {}), env: { HOME: h.dir } });

  it('prints the warn level\'s Warning on apply, and creates the pod', async () => {
    // attack: none; a plain pod in a namespace labelled warn=restricted
    const r = await kubectl(['apply', '--validate=false', '-f', '-'], podYaml('plain'));
    // expected, as kubectl prints Kubernetes' warning headers:
    expect(r.stderr).toContain(
      'Warning: would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
    expect(r.stdout).toContain('pod/plain created');
    expect(r.exitCode).toBe(0);
  });

  it('prints the refusal of a hostPath pod as a Forbidden error', async () => {
    const r = await kubectl(['apply', '--validate=false', '-f', '-'], podYaml('root', '  volumes:\n    - name: root\n      hostPath: { path: / }\n'));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain('pods "root" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "root")');
    expect(r.stderr).toMatch(/Error from server \(Forbidden\)/);
  });
});
