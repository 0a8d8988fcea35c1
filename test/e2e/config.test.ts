/**
 * ConfigMaps and Secrets end to end with real processes: a `drover hub` and two agents (containerd and
 * Docker). Each runs a pod that reads a ConfigMap value through env and a Secret through a volume file
 * and serves both with httpd on a host port. The Secret's value is nowhere under the hub's data dir
 * (plaintext or base64) nor in any log; the volume file follows a changed value; deleting the pod
 * removes the files from the agent's data dir. A pod whose ConfigMap is missing waits with
 * CreateContainerConfigError and starts once it is created.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, runtimeContainers, startAgent, startHub, waitFor, TEST_IMAGE, type Proc, type TestHub } from './support.js';

const SECRET = 'cfg-e2e-s3cr3t-6617';
const ROTATED = 'cfg-e2e-rotated-8842';
const b64 = (s: string) => Buffer.from(s).toString('base64');

const RUNTIMES = [
  { runtime: 'containerd' as const, node: 'cfg-ctr', port: 18601 },
  { runtime: 'docker' as const, node: 'cfg-docker', port: 18602 },
];

interface PodJson {
  metadata: { name: string; uid: string };
  status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] };
}

function podManifest(name: string, node: string, port: number): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeSelector:
    kubernetes.io/hostname: ${node}
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "mkdir -p /www && ln -s /etc/app-secret /www/secret && echo \\"$GREETING $(cat /etc/app-secret/token)\\" > /www/index.html && exec httpd -f -p ${port} -h /www"]
      env:
        - name: GREETING
          valueFrom:
            configMapKeyRef: { name: cfg-web, key: greeting }
      ports:
        - containerPort: ${port}
          hostPort: ${port}
      volumeMounts:
        - { name: secret, mountPath: /etc/app-secret }
  volumes:
    - name: secret
      secret: { secretName: cfg-secret }
`;
}

/** Every regular file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Files under `dir` whose bytes contain any of `needles`. */
async function filesContaining(dir: string, needles: string[]): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await filesUnder(dir)) {
    const bytes = await readFile(file).catch(() => Buffer.alloc(0));
    if (needles.some((n) => bytes.includes(n))) hits.push(file);
  }
  return hits;
}

async function httpText(port: number, path = '/'): Promise<string | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`).catch(() => undefined);
  return res?.ok ? (await res.text()).trim() : undefined;
}

describe('ConfigMaps and Secrets end to end (real hub, agents, containerd and Docker)', () => {
  let hub: TestHub;
  const agents: Proc[] = [];
  const agentDir = (node: string) => join(hub.dir, `agent-${node}`);

  beforeAll(async () => {
    hub = await startHub();
    for (const { runtime, node } of RUNTIMES) {
      const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
      agents.push(await startAgent(hub, node, runtime, token.trim()));
    }
    await waitFor('both cfg nodes Ready', async () => {
      const list = await hub.json<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
      const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name);
      return RUNTIMES.every((r) => ready.includes(r.node));
    }, 180_000);
    expect((await hub.cli(['create', 'configmap', 'cfg-web', '--from-literal', 'greeting=hello-from-configmap'])).stdout).toBe('configmap/cfg-web created');
    expect((await hub.cli(['create', 'secret', 'generic', 'cfg-secret', '--from-literal', `token=${SECRET}`])).stdout).toBe('secret/cfg-secret created');
  }, 240_000);

  afterAll(async () => {
    for (const a of agents) await a.stop();
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  });

  for (const { runtime, node, port } of RUNTIMES) {
    it(`serves a ConfigMap value from env and a Secret from a volume file on ${runtime}`, async () => {
      const name = `cfg-web-${runtime}`;
      await hub.cli(['apply', '-f', '-'], { input: podManifest(name, node, port) });
      const answer = await waitFor(`pod ${name} to answer`, () => httpText(port), 90_000);
      expect(answer).toBe(`hello-from-configmap ${SECRET}`);

      // the Secret's file: 0600 in a 0700 directory under the pod's own directory
      const pod = await hub.json<PodJson>(['get', 'pod', name]);
      const volume = join(agentDir(node), 'pods', pod.metadata.uid, 'volumes', 'secret');
      expect((await stat(volume)).mode & 0o777).toBe(0o700);
      expect((await stat(join(volume, 'token'))).mode & 0o777).toBe(0o600);
      expect(await readFile(join(volume, 'token'), 'utf8')).toBe(SECRET);
    }, 120_000);
  }

  it('never leaves the Secret under the hub data dir or in any log', async () => {
    const needles = [SECRET, b64(SECRET)];
    expect(await filesContaining(join(hub.dir, 'hub'), needles)).toEqual([]);
    const logs = [hub.proc.output(), ...agents.map((a) => a.output())].join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const n of needles) expect(logs).not.toContain(n);
  });

  it('updates the volume file when the Secret changes (the running container keeps its env)', async () => {
    const manifest = (await hub.cli(['create', 'secret', 'generic', 'cfg-secret', '--from-literal', `token=${ROTATED}`, '--dry-run=client', '-o', 'yaml'])).stdout;
    expect((await hub.cli(['apply', '-f', '-'], { input: manifest })).stdout).toBe('secret/cfg-secret configured');
    for (const { port } of RUNTIMES) {
      await waitFor(`the rotated secret on port ${port}`, async () => (await httpText(port, '/secret/token')) === ROTATED, 60_000);
      expect(await httpText(port)).toBe(`hello-from-configmap ${SECRET}`); // index.html was built at start
    }
    expect(await filesContaining(join(hub.dir, 'hub'), [ROTATED, b64(ROTATED)])).toEqual([]);
  }, 90_000);

  it('holds a pod whose ConfigMap is missing with CreateContainerConfigError, and starts it once created', async () => {
    const name = 'cfg-late-pod';
    await hub.cli(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeSelector: { kubernetes.io/hostname: cfg-ctr }
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sleep", "3600"]
      envFrom: [{ configMapRef: { name: cfg-late } }]
`,
    });
    let last: PodJson | undefined;
    const waiting = await waitFor('CreateContainerConfigError', async () => {
      last = await hub.json<PodJson>(['get', 'pod', name]);
      const w = last.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, 90_000).catch((err: unknown) => {
      throw new Error(`${String(err)}; last pod: ${JSON.stringify(last)}`);
    });
    expect(waiting.message).toBe('configmap "cfg-late" not found');
    await hub.cli(['create', 'configmap', 'cfg-late', '--from-literal', 'MODE=late']);
    await waitFor('the late pod Running', async () => (await hub.json<PodJson>(['get', 'pod', name])).status?.phase === 'Running', 90_000);
    await hub.cli(['delete', 'pod', name]);
  }, 240_000);

  it('removes the secret files from the agent data dir when the pod is deleted', async () => {
    for (const { runtime, node } of RUNTIMES) {
      const name = `cfg-web-${runtime}`;
      const pod = await hub.json<PodJson>(['get', 'pod', name]);
      const podDir = join(agentDir(node), 'pods', pod.metadata.uid);
      expect(await filesContaining(agentDir(node), [ROTATED])).not.toEqual([]);
      await hub.cli(['delete', 'pod', name]);
      expect(await runtimeContainers(runtime, name)).toEqual([]);
      await waitFor(`${podDir} removed`, async () => (await stat(podDir).catch(() => undefined)) === undefined, 30_000);
      // the desired set no longer carries the Secret either
      await waitFor(`no copy of the secret left under ${agentDir(node)}`, async () => (await filesContaining(agentDir(node), [ROTATED, b64(ROTATED)])).length === 0, 30_000);
    }
  }, 120_000);
});
