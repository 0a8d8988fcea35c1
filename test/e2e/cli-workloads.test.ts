/**
 * The workload CLI end to end with real processes: a `drover hub` and a `drover agent` on Docker.
 * `drover logs` shows a pod's output and `drover exec` runs a command in it (hub -> MQTT cmd ->
 * agent -> runtime -> reply), `drover top nodes` shows the usage the agent reports, and a Deployment
 * is scaled, rolled out with `set image`, watched with `rollout status` and listed by `rollout history`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startAgent, startHub, waitFor, TEST_IMAGE, type Proc, type TestHub } from './support.js';

const NODE = 'cw-docker';
const POD = 'cw-logs';
const PORT = 18550;

const podManifest = `apiVersion: v1
kind: Pod
metadata:
  name: ${POD}
spec:
  nodeSelector:
    kubernetes.io/hostname: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "mkdir -p /www && echo hello-${POD} > /www/index.html && echo first-line && echo second-line && exec httpd -f -p ${PORT} -h /www"]
      ports:
        - containerPort: ${PORT}
          hostPort: ${PORT}
`;

const deploymentManifest = (image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cw-deploy
spec:
  replicas: 2
  selector:
    matchLabels:
      app: cw-deploy
  template:
    metadata:
      labels:
        app: cw-deploy
    spec:
      nodeSelector:
        kubernetes.io/hostname: ${NODE}
      terminationGracePeriodSeconds: 1
      containers:
        - name: main
          image: ${image}
          imagePullPolicy: Never
          command: ["sleep", "3600"]
`;

interface PodJson {
  status?: { phase?: string; containerStatuses?: { ready: boolean }[] };
}
interface NodeJson {
  status?: { usage?: { memoryUsedBytes: number } };
}

describe('workload CLI (real hub and Docker agent)', () => {
  let hub: TestHub;
  let agent: Proc | undefined;

  beforeAll(async () => {
    hub = await startHub();
    const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
    agent = await startAgent(hub, NODE, 'docker', token.trim());
    await hub.cli(['apply', '-f', '-'], { input: podManifest });
    await waitFor(`${POD} Running`, async () => {
      const p = await hub.json<PodJson>(['get', 'pod', POD]);
      return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready;
    }, 90_000);
  }, 120_000);

  afterAll(async () => {
    await hub?.cli(['delete', 'pod', POD, '--timeout', '30s'], { reject: false });
    await hub?.cli(['delete', 'deployment', 'cw-deploy', '--timeout', '30s'], { reject: false });
    // the garbage collector removes the ReplicaSets and their pods; the agent stops their containers
    if (hub) await waitFor('the deployment pods gone', async () => (await hub.cli(['get', 'pods', '-l', 'app=cw-deploy', '-o', 'name'])).stdout.trim() === '', 60_000);
    await agent?.stop();
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  }, 120_000);

  it('drover logs shows the pod output, --tail keeps the last lines', async () => {
    const logs = await waitFor('the pod output', async () => {
      const r = await hub.cli(['logs', POD]);
      return r.stdout.includes('second-line') ? r.stdout : undefined;
    }, 30_000);
    expect(logs).toContain('first-line\nsecond-line');
    const tail = await hub.cli(['logs', POD, '--tail', '1', '-c', 'web']);
    expect(tail.stdout.trim()).toBe('second-line');
    const bad = await hub.cli(['logs', POD, '-c', 'nope'], { reject: false });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('container nope is not valid for pod');
  });

  it('drover exec runs a command in the container and returns its output and exit code', async () => {
    const r = await hub.cli(['exec', POD, '--', 'cat', '/www/index.html']);
    expect(r.stdout.trim()).toBe(`hello-${POD}`);
    const failed = await hub.cli(['exec', POD, '--', 'sh', '-c', 'echo oops; exit 3'], { reject: false });
    expect(failed.exitCode).toBe(3);
    expect(failed.stdout.trim()).toBe('oops');
    expect(failed.stderr).toContain('command terminated with exit code 3');
  });

  it('drover top nodes prints the node with the usage its agent reports', async () => {
    await waitFor('usage reported', async () => (await hub.json<NodeJson>(['get', 'node', NODE])).status?.usage !== undefined, 30_000);
    const r = await hub.cli(['top', 'nodes']);
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%$/);
    expect(r.stdout).toMatch(new RegExp(`${NODE}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`));
  });

  it('a Deployment: rollout status, set image, history, scale', async () => {
    await hub.cli(['apply', '-f', '-'], { input: deploymentManifest(TEST_IMAGE) });
    const first = await hub.cli(['rollout', 'status', 'deployment/cw-deploy', '--timeout', '120s']);
    expect(first.stdout.trim().split('\n').at(-1)).toBe('deployment "cw-deploy" successfully rolled out');
    expect((await hub.cli(['get', 'deploy', 'cw-deploy'])).stdout).toMatch(/cw-deploy\s+2\/2\s+2\s+2\s+/);

    expect((await hub.cli(['set', 'image', 'deployment/cw-deploy', 'main=registry.local/nginx:1.27'])).stdout.trim()).toBe('deployment.apps/cw-deploy image updated');
    const second = await hub.cli(['rollout', 'status', 'deployment/cw-deploy', '--timeout', '120s']);
    expect(second.stdout.trim().split('\n').at(-1)).toBe('deployment "cw-deploy" successfully rolled out');
    const history = await hub.cli(['rollout', 'history', 'deployment/cw-deploy']);
    expect(history.stdout).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>/);

    expect((await hub.cli(['scale', 'deployment', 'cw-deploy', '--replicas', '1'])).stdout.trim()).toBe('deployment.apps/cw-deploy scaled');
    await waitFor('one replica', async () => /cw-deploy\s+1\/1\s+1\s+1\s+/.test((await hub.cli(['get', 'deploy', 'cw-deploy'])).stdout), 60_000);
  }, 300_000);
});
