/**
 * Transport security end to end, with real processes: a hub serving mqtts and HTTPS on loopback
 * (--tls) with its own CA; an agent joining with a K10 token (CA pinned before anything is sent), its
 * pod running over the TLS session; an agent given a token with another CA's hash refusing to join;
 * `drover node delete` locking a node out.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runtimeContainers, startAgent, startHub, waitFor, TEST_IMAGE, type Proc, type TestHub } from './support.js';

const NODE = 'sec-e2e-a';
const PORT = 18650;

interface NodeJson {
  metadata: { name: string };
  status?: { conditions?: { type: string; status: string }[] };
}

const isReady = (n: NodeJson) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

function podManifest(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeSelector:
    kubernetes.io/hostname: ${NODE}
  terminationGracePeriodSeconds: 2
  containers:
    - name: web
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "mkdir -p /www && echo hello-over-tls > /www/index.html && exec httpd -f -p ${PORT} -h /www"]
      ports:
        - containerPort: ${PORT}
          hostPort: ${PORT}
`;
}

describe('transport security (real hub and agents over TLS)', () => {
  let hub: TestHub;
  const agents: Proc[] = [];

  beforeAll(async () => {
    hub = await startHub(['--tls']);
  }, 60_000);
  afterAll(async () => {
    for (const a of agents) await a.stop();
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  });

  it('serves mqtts and https on loopback with --tls, and the CLI trusts the hub CA from its config', async () => {
    expect(hub.mqttUrl).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    expect(hub.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const config = JSON.parse(await readFile(hub.configPath, 'utf8')) as { certificateAuthority?: string };
    expect(config.certificateAuthority).toBe(join(hub.dir, 'hub', 'pki', 'ca.crt'));
    expect((await stat(join(hub.dir, 'hub', 'pki', 'ca.key'))).mode & 0o777).toBe(0o600);
    await expect(fetch(`${hub.httpUrl}/healthz`)).rejects.toThrow(); // no CA: Node's fetch refuses the self-made chain
    expect((await hub.cli(['get', 'nodes'], { reject: false })).exitCode).toBe(0);
  });

  it('an agent with a token carrying another CA hash refuses the hub and exits', async () => {
    const { stdout } = await hub.cli(['token', 'create', '--ttl', '10m']);
    const forged = stdout.trim().replace(/^K10[0-9a-f]{64}::/, `K10${'0'.repeat(64)}::`);
    const agent = await startAgent(hub, 'sec-e2e-mitm', 'containerd', forged);
    agents.push(agent);
    const code = await waitFor('the agent to exit', async () => (agent.child.exitCode !== null ? agent.child.exitCode : undefined), 30_000);
    expect(code).not.toBe(0);
    expect(agent.output()).toMatch(/not the one the join token was made for/);
    const nodes = await hub.json<{ items: NodeJson[] }>(['get', 'nodes']);
    expect(nodes.items.map((n) => n.metadata.name)).not.toContain('sec-e2e-mitm');
  }, 120_000);

  it('a node joins over TLS, pins the CA, and runs a pod', async () => {
    const { stdout } = await hub.cli(['token', 'create', '--ttl', '10m', '--single-use']);
    expect(stdout.trim()).toMatch(/^K10[0-9a-f]{64}::drover-join\./);
    agents.push(await startAgent(hub, NODE, 'containerd', stdout.trim()));
    await waitFor(`${NODE} Ready`, async () => {
      const list = await hub.json<{ items: NodeJson[] }>(['get', 'nodes']);
      return list.items.some((n) => n.metadata.name === NODE && isReady(n));
    }, 60_000);
    const agentDir = join(hub.dir, `agent-${NODE}`);
    expect(await readFile(join(agentDir, 'ca.crt'), 'utf8')).toBe(await readFile(join(hub.dir, 'hub', 'pki', 'ca.crt'), 'utf8'));
    expect((await stat(join(agentDir, 'credentials.json'))).mode & 0o777).toBe(0o600);

    await hub.cli(['apply', '-f', '-'], { input: podManifest('sec-web') });
    const body = await waitFor('the pod to answer', async () => {
      const res = await fetch(`http://127.0.0.1:${PORT}/`).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    }, 60_000);
    expect(body.trim()).toBe('hello-over-tls');
    await hub.cli(['delete', 'pod', 'sec-web']);
    expect(await runtimeContainers('containerd', 'sec-web')).toEqual([]);
  }, 240_000);

  it('drover node delete locks the node out: the hub refuses its credentials from then on', async () => {
    const r = await hub.cli(['node', 'delete', NODE]);
    expect(r.stdout).toContain(`node "${NODE}" deleted`);
    const agent = agents[agents.length - 1]!;
    await waitFor('the agent to be refused', async () => /refused this node's credentials/.test(agent.output()), 60_000);
    const nodes = await hub.json<{ items: NodeJson[] }>(['get', 'nodes']);
    expect(nodes.items.map((n) => n.metadata.name)).not.toContain(NODE);
  }, 120_000);
});
