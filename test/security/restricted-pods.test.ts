/**
 * Issue 12, finding 1, the restricted level. Attack: a tenant with an edit token in a namespace labelled
 * `pod-security.kubernetes.io/enforce=restricted` creates a pod that runs as root with the default
 * capabilities. Expected (as Kubernetes): refused, naming each restricted check; a pod that meets restricted
 * (runAsUser 1000, runAsNonRoot, drop ALL, allowPrivilegeEscalation false, RuntimeDefault seccomp) is admitted
 * and really runs so on containerd and on Docker: uid 1000, NoNewPrivs 1, no effective capability. And a
 * runAsNonRoot pod whose image runs as root stays Pending with the kubelet's CreateContainerConfigError.
 * Observed: below.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, DROVER, removeNodeContainers, sleepPodManifest, startAgent, startHub, waitFor, type Proc, type TestHub } from '../e2e/support.js';

const NS = 'restricted-team';
const NODES = [
  { node: 'restricted-ctr', runtime: 'containerd' as const },
  { node: 'restricted-docker', runtime: 'docker' as const },
];

const COMPLIANT = `      securityContext:
        runAsUser: 1000
        runAsNonRoot: true
        allowPrivilegeEscalation: false
        capabilities: { drop: ["ALL"] }
        seccompProfile: { type: RuntimeDefault }
`;

interface PodView {
  status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] };
}

describe('restricted pods on containerd and Docker', () => {
  let hub: TestHub;
  let editToken = '';
  const agents: Proc[] = [];
  /** The CLI with the tenant's edit token. */
  const tenant = (args: string[], input?: string) =>
    execa(process.execPath, [DROVER, ...args], { env: { ...process.env, ...hub.env, DROVER_TOKEN: editToken }, input, reject: false, timeout: 120_000 });

  beforeAll(async () => {
    hub = await startHub();
    for (const { node, runtime } of NODES) {
      const token = (await hub.cli(['token', 'create', '--ttl', '10m'])).stdout.trim();
      agents.push(await startAgent(hub, node, runtime, token));
    }
    await hub.cli(['apply', '-f', '-'], {
      input: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${NS}\n  labels:\n    pod-security.kubernetes.io/enforce: restricted\n`,
    });
    editToken = (await hub.cli(['token', 'create', '--role', 'edit', '--namespace', NS])).stdout.trim();
    await waitFor('both nodes Ready', async () => {
      const list = await hub.json<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
      const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name);
      return NODES.every((n) => ready.includes(n.node));
    }, 180_000);
  }, 240_000);

  afterAll(async () => {
    await hub?.cli(['delete', 'pods', '--all', '-n', NS, '--grace-period', '0', '--timeout', '60s'], { reject: false });
    for (const a of agents) await a.stop();
    await removeNodeContainers(NODES.map((n) => n.node));
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  }, 180_000);

  it('refuses a root pod with the default capabilities, naming every restricted check (as Kubernetes)', async () => {
    const r = await tenant(['apply', '-f', '-'], sleepPodManifest({ name: 'rooty', node: NODES[0]!.node, namespace: NS }));
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toContain(
      'pods "rooty" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "main" must set securityContext.allowPrivilegeEscalation=false), ' +
        'unrestricted capabilities (container "main" must set securityContext.capabilities.drop=["ALL"]), ' +
        'runAsNonRoot != true (pod or container "main" must set securityContext.runAsNonRoot=true), ' +
        'seccompProfile (pod or container "main" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it.each(NODES)('$runtime: a restricted pod runs as uid 1000 with NoNewPrivs 1 and no effective capability', async ({ node }) => {
    const name = `${node}-ok`;
    const r = await tenant(['apply', '-f', '-'], sleepPodManifest({ name, node, namespace: NS, container: COMPLIANT }));
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    await waitFor(`${name} Running`, async () => (await hub.json<PodView>(['get', 'pod', name, '-n', NS])).status?.phase === 'Running', 120_000);
    const id = await hub.cli(['exec', name, '-n', NS, '--', 'id', '-u']);
    expect(id.stdout.trim()).toBe('1000');
    const status = (await hub.cli(['exec', name, '-n', NS, '--', 'cat', '/proc/1/status'])).stdout;
    expect(/^NoNewPrivs:\s*(\d)/m.exec(status)?.[1]).toBe('1');
    expect(/^CapEff:\s*(\w+)/m.exec(status)?.[1]).toBe('0000000000000000');
    expect(/^Seccomp:\s*(\d)/m.exec(status)?.[1]).toBe('2');
  }, 180_000);

  it.each(NODES)("$runtime: runAsNonRoot on a root image stays Pending with the kubelet's CreateContainerConfigError", async ({ node }) => {
    const name = `${node}-root-image`;
    const sc = COMPLIANT.replace('        runAsUser: 1000\n', '');
    expect((await tenant(['apply', '-f', '-'], sleepPodManifest({ name, node, namespace: NS, container: sc }))).exitCode).toBe(0);
    const waiting = await waitFor(`${name} CreateContainerConfigError`, async () => {
      const w = (await hub.json<PodView>(['get', 'pod', name, '-n', NS])).status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, 120_000);
    expect(waiting.message).toMatch(new RegExp(`^container has runAsNonRoot and image will run as root \\(pod: "${name}_${NS}\\([0-9a-f-]+\\)", container: main\\)$`));
    expect((await hub.json<PodView>(['get', 'pod', name, '-n', NS])).status?.phase).toBe('Pending');
  }, 180_000);
});
