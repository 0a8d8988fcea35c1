/**
 * Images without internet, end to end: archives built here from busybox-static (test/hub/images/
 * image-archives.ts) pushed with the real CLI to a real hub, listed and removed; the hub's /v2/ registry
 * read by the real `ctr images pull` and `docker pull` with a node's credential (which may not push), an
 * interrupted layer download completed (containerd re-opens it with Range), and a pod whose image exists only on the hub run by a
 * real containerd agent, with the kubelet's Pulling / Pulled events. Nothing comes from the internet.
 */
import { execa } from 'execa';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubImageRef, type HubImageSource } from '../../runtime-adapters/hub-images.js';
import { createRuntime } from '../../runtime-adapters/index.js';
import { createImageGc } from '../../agent/pods/image-gc.js';
import { silentLogger } from '../../protocol/logger.js';
import { writeContainerdHosts, writeDockerConfig } from '../../runtime-adapters/hub-images.js';
import { buildArchive } from '../hub/images/image-archives.js';
import { startCountingProxy, type CountingProxy } from './support-proxy.js';
import { cleanup, DROVER, removeNodeContainers, startDrover, startHub, waitFor, type Proc, type TestHub } from './support.js';

const RUN = Math.random().toString(36).slice(2, 8);
const APP = `images-app-${RUN}`;
const OTHER = `images-other-${RUN}`;
const BIG = `images-big-${RUN}`;
const MULTI = `images-multi-${RUN}`;
const NODE = `images-ctr-${RUN}`;
const CTR_NS = `images-e2e-${RUN}`;

interface ImageJson { name: string; tag: string; digest: string; platforms: string[]; sizeBytes: number }
interface EventJson { reason: string; message: string; involvedObject: { name: string } }

const podManifest = (name: string, image: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  annotations:
    drover.io/image-source: hub
spec:
  terminationGracePeriodSeconds: 1
  nodeName: ${NODE}
  containers:
    - name: main
      image: ${image}
      command: ["sleep", "3600"]
`;

describe('images: push to the hub, pull from it (real hub, ctr, docker, a containerd agent)', () => {
  let hub: TestHub;
  let agent: Proc;
  let work: string;
  let hostPort: string;
  let node: HubImageSource;
  let proxy: CountingProxy;
  const archives: Record<string, string> = {};

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'images-e2e-'));
    archives.app = await buildArchive({ work, tags: [`${APP}:1`], extra: { 'app/hello.txt': 'hello from the hub\n' } });
    archives.other = await buildArchive({ work, tags: [`${OTHER}:1`], extra: { 'app/other.txt': 'other\n' } });
    archives.big = await buildArchive({ work, tags: [`${BIG}:1`], extra: { 'app/big.bin': 'x'.repeat(3_000_000) } });
    archives.amd = await buildArchive({ work, tags: [`${MULTI}:1`], arch: 'amd64' });
    archives.arm = await buildArchive({ work, tags: [`${MULTI}:1`], arch: 'arm64', format: 'docker' });
    hub = await startHub();
    hostPort = new URL(hub.httpUrl).host;
    proxy = await startCountingProxy({ host: '127.0.0.1', port: Number(new URL(hub.httpUrl).port) });
    const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
    agent = startDrover(
      ['agent', '--hub', hub.mqttUrl, '--name', NODE, '--runtime', 'containerd', '--data-dir', join(hub.dir, 'agent'),
        '--status-interval', '2', '--no-pod-network', '--image-hub', `127.0.0.1:${proxy.port}`],
      { ...hub.env, DROVER_JOIN_TOKEN: token.trim() },
    );
    const creds = await waitFor('the agent to join', async () =>
      (JSON.parse(await readFile(join(hub.dir, 'agent', 'credentials.json'), 'utf8').catch(() => 'null')) as { username: string; password: string } | null) ?? undefined);
    // the agent verifies the hub's HTTPS with the CA pinned at join (ca.crt, written by a mqtts join); this
    // test hub's MQTT is plain loopback, so the CA is put where a TLS join would have left it
    await copyFile(join(hub.dir, 'hub', 'pki', 'ca.crt'), join(hub.dir, 'agent', 'ca.crt'));
    node = { host: `127.0.0.1:${proxy.port}`, username: creds.username, password: creds.password, caFile: join(hub.dir, 'hub', 'pki', 'ca.crt'), configDir: join(work, 'registry') };
  }, 120_000);

  afterAll(async () => {
    await hub?.cli(['delete', 'pod', '--all', '--grace-period=0', '--force'], { reject: false });
    await agent?.stop();
    await removeNodeContainers([NODE]);
    for (const image of [APP, OTHER, BIG]) await execa('ctr', ['-n', 'drover', 'images', 'rm', `docker.io/library/${image}:1`], { reject: false });
    const leftover = (await execa('ctr', ['-n', CTR_NS, 'images', 'ls', '-q'], { reject: false })).stdout.split('\n').filter(Boolean);
    if (leftover.length) await execa('ctr', ['-n', CTR_NS, 'images', 'rm', ...leftover], { reject: false });
    await execa('ctr', ['-n', CTR_NS, 'content', 'prune', 'references'], { reject: false });
    await execa('ctr', ['namespaces', 'rm', CTR_NS], { reject: false });
    await execa('docker', ['rmi', hubImageRef(hostPort, `${APP}:1`)], { reject: false });
    await proxy?.close();
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
    await rm(work, { recursive: true, force: true });
  }, 120_000);

  it('push stores the layers two images share once; ls shows both; two arches of one name become one index', async () => {
    const began = performance.now();
    const first = await hub.cli(['image', 'push', archives.app!]);
    const firstSeconds = (performance.now() - began) / 1000;
    expect(first.stdout).toContain(`${APP}:1 pushed`);
    // the second one from stdin, as `docker save x | drover image push -`
    const second = await execa(process.execPath, [DROVER, 'image', 'push', '-'], { env: { ...process.env, ...hub.env }, inputFile: archives.other! });
    expect(second.stderr).toMatch(/3 blobs stored \(.*\), 1 already on the hub/);
    await hub.cli(['image', 'push', archives.big!]);
    await hub.cli(['image', 'push', archives.amd!]);
    await hub.cli(['image', 'push', archives.arm!]);
    const list = await hub.json<{ items: ImageJson[] }>(['image', 'ls']);
    const byName = new Map(list.items.map((i) => [i.name, i]));
    expect([...byName.keys()].sort()).toEqual([APP, BIG, MULTI, OTHER].sort());
    expect(byName.get(MULTI)!.platforms.sort()).toEqual(['linux/amd64', 'linux/arm64']);
    const table = (await hub.cli(['image', 'ls'])).stdout;
    expect(table).toMatch(new RegExp(`${MULTI}\\s+1\\s+sha256:\\S+\\s+linux/amd64,linux/arm64`));
    console.log(`IMAGES-FIGURE: push of a ${(await readFile(archives.app!)).length}-byte archive took ${firstSeconds.toFixed(2)} s (CLI included); loadavg ${(await readFile('/proc/loadavg', 'utf8')).trim()}`);
  }, 120_000);

  it('the registry asks for credentials, lets a node read but not push, and serves Range', async () => {
    const anonymous = await hub.fetch(`${hub.httpUrl}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    const basic = `Basic ${Buffer.from(`${node.username}:${node.password}`).toString('base64')}`;
    expect((await hub.fetch(`${hub.httpUrl}/v2/`, { headers: { authorization: basic } })).status).toBe(200);
    const push = await hub.fetch(`${hub.httpUrl}/apis/drover.io/v1/images`, { method: 'POST', headers: { authorization: basic }, body: await readFile(archives.app!) });
    expect(push.status).toBe(403);
    const manifest = await hub.fetch(`${hub.httpUrl}/v2/${APP}/manifests/1`, { headers: { authorization: basic } });
    expect(manifest.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json');
    const digest = manifest.headers.get('docker-content-digest')!;
    const doc = (await manifest.json()) as { layers: { digest: string; size: number }[] };
    const layer = doc.layers[0]!;
    const ranged = await hub.fetch(`${hub.httpUrl}/v2/${APP}/blobs/${layer.digest}`, { headers: { authorization: basic, range: 'bytes=1000-' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-${layer.size - 1}/${layer.size}`);
    expect((await ranged.arrayBuffer()).byteLength).toBe(layer.size - 1000);
    expect((await hub.fetch(`${hub.httpUrl}/v2/${APP}/manifests/${digest}`, { method: 'HEAD', headers: { authorization: basic } })).status).toBe(200);
    expect((await hub.fetch(`${hub.httpUrl}/v2/${APP}/manifests/nope`, { headers: { authorization: basic } })).status).toBe(404);
  });

  it('ctr pulls from the hub with the node credential; a second image sharing the base layer fetches only what is new', async () => {
    const hosts = await writeContainerdHosts(node);
    proxy.reset();
    await execa('ctr', ['-n', CTR_NS, 'images', 'pull', '--hosts-dir', hosts, hubImageRef(node.host, `${APP}:1`)]);
    const firstBytes = proxy.downstream();
    proxy.reset();
    await execa('ctr', ['-n', CTR_NS, 'images', 'pull', '--hosts-dir', hosts, hubImageRef(node.host, `${OTHER}:1`)]);
    const secondBytes = proxy.downstream();
    expect(firstBytes).toBeGreaterThan(1_900_000); // busybox crossed once
    expect(secondBytes).toBeLessThan(firstBytes / 4); // not again
    console.log(`IMAGES-FIGURE: ctr pull of the first image: ${firstBytes} bytes over the link (TLS included); of a second sharing its base layer: ${secondBytes} bytes`);
  }, 120_000);

  it('a layer download cut halfway completes: containerd re-opens it with Range, or the next pull starts it again', async () => {
    const hosts = await writeContainerdHosts(node);
    const pull = () => execa('ctr', ['-n', CTR_NS, 'images', 'pull', '--hosts-dir', hosts, hubImageRef(node.host, `${BIG}:1`)], { reject: false });
    proxy.reset();
    proxy.cutAfter(1_500_000); // every connection cut halfway through the 3 MB layer
    // containerd re-opens a cut blob download at the offset it has (a Range request) within the same pull;
    // a ctr pull that fails anyway drops its partial download with its lease, so the next one starts over
    let result = await pull();
    let pulls = 1;
    while (result.exitCode !== 0 && pulls < 3) {
      result = await pull();
      pulls++;
    }
    expect(result.exitCode).toBe(0);
    const moved = proxy.downstream();
    expect(moved).toBeGreaterThan(3_000_000);
    console.log(`IMAGES-FIGURE: a 3 MB layer pull cut after 1.5 MB moved ${moved} bytes in all in ${pulls} ctr pull(s) (${moved < 4_000_000 ? 'resumed with Range' : 'started over'})`);
  }, 120_000);

  it('docker pulls from the hub with the node credential', async () => {
    const config = await writeDockerConfig({ ...node, host: hostPort, configDir: join(work, 'docker') });
    const ref = hubImageRef(hostPort, `${APP}:1`);
    await execa('docker', ['--config', config, 'pull', '--quiet', ref]);
    const { stdout } = await execa('docker', ['image', 'inspect', '--format', '{{.Architecture}}', ref]);
    expect(stdout.trim()).toBe('amd64');
  }, 120_000);

  it('a pod whose image exists only on the hub runs on a containerd agent, with Pulling and Pulled events', async () => {
    await hub.cli(['apply', '-f', '-'], { input: podManifest('images-pod', `${APP}:1`) });
    await waitFor('the pod Running', async () => {
      const pod = await hub.json<{ status?: { phase?: string } }>(['get', 'pod', 'images-pod']);
      return pod.status?.phase === 'Running';
    }, 90_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\nagent: ${agent.output().slice(-3000)}`);
    });
    const events = await waitFor('Pulled event', async () => {
      const all = (await hub.json<{ items: EventJson[] }>(['get', 'events'])).items.filter((e) => e.involvedObject.name === 'images-pod');
      return all.some((e) => e.reason === 'Pulled') ? all : undefined;
    });
    expect(events.find((e) => e.reason === 'Pulling')?.message).toBe(`Pulling image "${APP}:1"`);
    expect(events.find((e) => e.reason === 'Pulled')?.message).toMatch(new RegExp(`^Successfully pulled image "${APP}:1" in [0-9.]+s from the hub$`));
    const { stdout } = await hub.cli(['exec', 'images-pod', '--', 'cat', '/app/hello.txt']);
    expect(stdout).toBe('hello from the hub');
  }, 120_000);

  it('image GC under disk pressure removes the images no container uses from a real containerd', async () => {
    const runtime = await createRuntime('containerd', { logger: silentLogger(), namespace: CTR_NS, stateDir: join(work, 'ctr-state') });
    const before = (await runtime.listImages()).map((i) => i.name);
    expect(before).toContain(`127.0.0.1:${proxy.port}/${BIG}:1`);
    // the disk as full: every unused image goes (the unit test covers thresholds and images in use)
    const gc = createImageGc({ runtime, logger: silentLogger(), diskUsage: async () => ({ totalBytes: 1_000_000_000, freeBytes: 0 }) });
    const { removed } = await gc.run();
    expect(removed.sort()).toEqual(before.sort());
    expect(await runtime.listImages()).toEqual([]);
  }, 60_000);

  it('rm frees the blobs only that image used; its name is gone from the registry', async () => {
    const { stdout } = await hub.cli(['image', 'rm', `${OTHER}:1`]);
    expect(stdout).toMatch(/Untagged: .*\(3 blobs freed/);
    const list = await hub.json<{ items: ImageJson[] }>(['image', 'ls']);
    expect(list.items.map((i) => i.name)).not.toContain(OTHER);
    const basic = `Basic ${Buffer.from(`${node.username}:${node.password}`).toString('base64')}`;
    expect((await hub.fetch(`${hub.httpUrl}/v2/${OTHER}/manifests/1`, { headers: { authorization: basic } })).status).toBe(404);
    expect((await hub.fetch(`${hub.httpUrl}/v2/${APP}/manifests/1`, { headers: { authorization: basic } })).status).toBe(200);
  });
});
