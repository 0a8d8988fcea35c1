/**
 * The agent with the real runtimes (Docker, and containerd through ctr): a pod with a hostPort and an
 * emptyDir served by busybox httpd, fetched over HTTP by the test, then removed from the runtime by an
 * empty desired set.
 */
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent, type Agent } from '../../agent/agent.js';
import { emptyDirPath } from '../../agent/pods/pod-runtime.js';
import { silentLogger } from '../../protocol/logger.js';
import { createRuntime } from '../../runtime-adapters/index.js';
import { startFakeHub, type FakeHub } from './fake-hub.js';
import { desiredSet, makePod, tempDir, TEST_IMAGE, waitUntil } from './helpers.js';

const RUNTIMES = ['docker', 'containerd'] as const;
type Runtime = (typeof RUNTIMES)[number];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The runtime's own view of the containers labelled for a node, asked through its CLI. */
async function runtimeContainers(runtime: Runtime, node: string): Promise<string[]> {
  const r =
    runtime === 'docker'
      ? await execa('docker', ['ps', '-a', '-q', '--filter', `label=io.drover.node=${node}`])
      : await execa('ctr', ['-n', 'drover', 'containers', 'ls', '-q', `labels."io.drover.node"==${node}`]);
  return r.stdout.split('\n').filter(Boolean);
}

async function removeAll(runtime: Runtime, node: string): Promise<void> {
  const ids = await runtimeContainers(runtime, node);
  if (ids.length === 0) return;
  if (runtime === 'docker') await execa('docker', ['rm', '-f', ...ids]);
  else for (const id of ids) {
    await execa('ctr', ['-n', 'drover', 'tasks', 'kill', '-s', 'SIGKILL', id], { reject: false });
    await execa('ctr', ['-n', 'drover', 'tasks', 'rm', '-f', id], { reject: false });
    await execa('ctr', ['-n', 'drover', 'containers', 'rm', id]);
  }
}

describe.each(RUNTIMES)('agent with the %s runtime', (runtimeName) => {
  const NAME = `agent-${runtimeName}-test`;
  const dockerContainers = () => runtimeContainers(runtimeName, NAME);
  let hub: FakeHub;
  let agent: Agent;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    await removeAll(runtimeName, NAME);
    hub = await startFakeHub();
    ({ dir, cleanup } = await tempDir());
    agent = await createAgent({
      hubUrl: hub.url,
      token: 'good-token',
      name: NAME,
      runtime: await createRuntime(runtimeName, { logger: silentLogger(), stateDir: join(dir, 'containerd') }),
      dataDir: dir,
      logger: silentLogger(),
      statusIntervalMs: 500,
      reconcileIntervalMs: 200,
    });
    await agent.start();
  });

  afterAll(async () => {
    await agent?.stop();
    await hub?.close();
    await removeAll(runtimeName, NAME);
    await cleanup?.();
  });

  it('runs httpd on a hostPort with an emptyDir, reports it Running, then removes it', async () => {
    const port = await freePort();
    const pod = makePod('httpd', {
      uid: `d0c4e200-0000-4000-8000-${runtimeName === 'docker' ? '000000000001' : '000000000002'}`,
      containers: [
        {
          name: 'web',
          image: TEST_IMAGE,
          imagePullPolicy: 'Never',
          command: ['httpd', '-f', '-p', String(port), '-h', '/'],
          ports: [{ containerPort: port, hostPort: port }],
          volumeMounts: [{ name: 'site', mountPath: '/site' }],
        },
      ],
      spec: { nodeName: NAME, terminationGracePeriodSeconds: 1, volumes: [{ name: 'site', emptyDir: {} }] },
    });
    await hub.publishDesired(desiredSet(1, [pod], NAME));

    const running = await waitUntil(
      'httpd Running',
      () => hub.podStatus.map((m) => m.pods.find((p) => p.name === 'httpd')).findLast((e) => e?.status.phase === 'Running'),
      60_000,
    );
    expect(running.status.containerStatuses?.[0]?.containerID).toMatch(new RegExp(`^${runtimeName}://.+`));
    expect(running.status.podIP).toBeDefined();

    await writeFile(join(emptyDirPath(dir, pod.metadata.uid!, 'site'), 'index.html'), 'hello from the emptyDir\n');
    const body = await waitUntil(
      `httpd answering on ${port}`,
      async () => {
        const res = await fetch(`http://127.0.0.1:${port}/site/index.html`);
        return res.ok ? res.text() : undefined;
      },
      30_000,
    );
    expect(body).toBe('hello from the emptyDir\n');
    expect(await dockerContainers()).toHaveLength(1);

    await hub.publishDesired(desiredSet(2, [], NAME));
    await waitUntil('container removed from the runtime', async () => (await dockerContainers()).length === 0, 30_000);
    await expect(fetch(`http://127.0.0.1:${port}/site/index.html`)).rejects.toThrow();
    await waitUntil('full report without the pod', () => hub.podStatus.some((m) => m.full && m.generation === 2 && m.pods.length === 0));
  });
});
