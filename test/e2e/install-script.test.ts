/**
 * The hub's /install.sh on a fresh "device": a network namespace whose only link is a veth to the hub's LAN
 * (test/agent/network/devices.ts), with no default route, so no registry (nor anything past the LAN) is
 * reachable. The script is fetched and run there as a user would (`curl -fsSLk https://HUB/install.sh | sh -s --`),
 * with --no-systemd and a --prefix, --config-dir and --data-dir under a temp dir:
 *  - a token pinning another CA is refused before anything is fetched from the hub but its CA;
 *  - a bundle tampered in transit (by a server holding the hub's TLS key but not its CA key) is refused,
 *    whether only its bytes changed (hash) or the index was rewritten to match (signature);
 *    each refusal names the reason and leaves nothing installed;
 *  - the real install resumes a half-downloaded bundle (Range), lays out versions/<v> + current, starts the agent,
 *    which joins, reports drover.io/agent-version and runs a pod from the image already in containerd.
 * Real hub (dist/), real bundle (install/build-agent-bundle.sh), real containerd.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDevice, cleanupPrefix, createLan, removeCtrContainers, type Device, type Lan } from '../agent/network/devices.js';
import { ROOT, TEST_IMAGE, startHub, waitFor, type TestHub } from './support.js';

const PREFIX = 'dis';
const NODE = 'dis-dev';
const NAMESPACE = 'dis';
const VERSION = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const FILE = `drover-agent-${VERSION}-linux-amd64.tar.gz`;

interface IndexEntry { version: string; arch: string; file: string; size: number; sha256: string; signature: string }

describe('install.sh from the hub on a fresh network namespace host, no registry reachable', () => {
  let lan: Lan;
  let device: Device;
  let hub: TestHub;
  let dir: string;
  let token: string;
  let tokenFile: string;
  let bundle: Buffer;
  let index: IndexEntry[];
  let tamperer: Server | undefined;
  let agentPid: number | undefined;

  /** Run the served script inside the device: `curl -fsSLk URL/install.sh | sh -s -- ARGS`. */
  const install = async (args: string[], scriptFrom = hub.httpUrl) => {
    const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const r = await execa('ip', ['netns', 'exec', device.ns, 'sh', '-c', `curl -fsSLk ${scriptFrom}/install.sh | sh -s -- ${quoted}`], {
      reject: false,
      timeout: 180_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir },
    });
    return { exitCode: r.exitCode, stderr: String(r.stderr), stdout: String(r.stdout) };
  };
  const layout = (name: string) => ({ prefix: join(dir, name, 'opt'), config: join(dir, name, 'etc'), data: join(dir, name, 'data') });
  const layoutArgs = (l: ReturnType<typeof layout>) => ['--no-systemd', '--prefix', l.prefix, '--config-dir', l.config, '--data-dir', l.data, '--name', NODE, '--runtime', 'containerd', '--skip-packages'];
  const nothingInstalled = (l: ReturnType<typeof layout>) => {
    expect(existsSync(l.prefix), l.prefix).toBe(false);
    expect(existsSync(l.config), l.config).toBe(false);
    expect(existsSync(l.data), l.data).toBe(false);
  };

  beforeAll(async () => {
    await removeCtrContainers('drover', `drover_${NAMESPACE}_`);
    await execa('bash', [join(ROOT, 'install/build-agent-bundle.sh'), '--arch', 'amd64'], { cwd: ROOT });
    bundle = await readFile(join(ROOT, 'dist/bundles', FILE));
    lan = await createLan(PREFIX, '10.91.0');
    device = await addDevice(lan, 'dev', '10.91.0.10');
    // nothing past the LAN: no default route
    await execa('ip', ['-n', device.ns, 'route', 'del', 'default']);
    dir = await mkdtemp(join(tmpdir(), 'drover-install-script-'));
    hub = await startHub(
      ['--http', `${lan.hostIP}:0`, '--mqtt', `${lan.hostIP}:0`, '--tls-san', lan.hostIP, '--cluster-cidr', '10.56.0.0/16', '--service-cidr', '10.57.0.0/16'],
      dir,
    );
    await hub.cli(['create', 'namespace', NAMESPACE]);
    token = (await hub.cli(['token', 'create', '--ttl', '30m'])).stdout.trim();
    tokenFile = join(dir, 'join-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    index = (await (await hub.fetch(`${hub.httpUrl}/bundles/index.json?arch=amd64`)).json()) as IndexEntry[];
  }, 300_000);

  afterAll(async () => {
    if (agentPid !== undefined) {
      try {
        process.kill(-agentPid, 'SIGTERM'); // the script started it with setsid: its own process group
      } catch {
        // already gone
      }
      await waitFor('the agent to stop', async () => !existsSync(`/proc/${agentPid}`), 20_000).catch(() => process.kill(-agentPid!, 'SIGKILL'));
    }
    await new Promise<void>((resolve) => (tamperer ? tamperer.close(() => resolve()) : resolve()));
    await hub?.cli(['delete', 'pod', '-n', NAMESPACE, 'dis-pod', '--now'], { reject: false }).catch(() => undefined);
    await hub?.stop();
    await removeCtrContainers('drover', `drover_${NAMESPACE}_`);
    await cleanupPrefix(PREFIX);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('the device reaches the hub and nothing else', async () => {
    expect(hub.httpUrl).toMatch(/^https:\/\/10\.91\.0\.1:\d+$/);
    expect((await device.exec('curl', ['-fsSk', '-o', '/dev/null', '-w', '%{http_code}', `${hub.httpUrl}/ca.crt`])).stdout).toBe('200');
    const registry = await device.exec('curl', ['-sS', '--max-time', '5', 'https://registry-1.docker.io/v2/']);
    expect(registry.exitCode).not.toBe(0);
    expect(index.map((b) => b.file)).toContain(FILE);
  });

  it('refuses a token that pins another CA, and installs nothing', async () => {
    const l = layout('wrong-ca');
    const wrong = join(dir, 'wrong-token');
    await writeFile(wrong, token.replace(/^K10[0-9a-f]{64}/, `K10${'0'.repeat(64)}`), { mode: 0o600 });
    const r = await install(['--token-file', wrong, ...layoutArgs(l)]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/presents CA sha256 [0-9a-f]{64}, but the join token pins 0{64}: refusing/);
    nothingInstalled(l);
  }, 200_000);

  it('refuses a bundle changed in transit: by its hash, or (index rewritten to match) by its signature; nothing installed', async () => {
    const pki = join(dir, 'hub', 'pki');
    const tampered = Buffer.from(bundle);
    tampered[tampered.length - 100] = tampered[tampered.length - 100]! ^ 0xff;
    let rewriteIndex = false;
    const real = index.find((b) => b.file === FILE)!;
    // holds the hub's TLS key (so it passes as the hub) but not the CA key: it can change bytes, not sign them
    tamperer = createServer({ key: await readFile(join(pki, 'server.key')), cert: await readFile(join(pki, 'server.crt')) }, (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      if (url.pathname === '/ca.crt') res.end(hub.ca);
      else if (url.pathname === '/bundles/index.json') {
        const sha256 = createHash('sha256').update(tampered).digest('hex');
        res.end(JSON.stringify([rewriteIndex ? { ...real, sha256, size: tampered.length } : real]));
      } else if (url.pathname === `/bundles/${FILE}`) res.end(tampered);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => tamperer!.listen(0, lan.hostIP, resolve));
    const mirror = `https://${lan.hostIP}:${(tamperer.address() as AddressInfo).port}`;

    const byHash = layout('tampered-bytes');
    const r1 = await install(['--token-file', tokenFile, '--server', mirror, ...layoutArgs(byHash)]);
    expect(r1.exitCode).toBe(1);
    expect(r1.stderr).toMatch(new RegExp(`the downloaded ${FILE.replace(/\./g, '\\.')} has sha256 [0-9a-f]{64}, not the ${real.sha256} the hub's index gives: refusing`));
    nothingInstalled(byHash);

    rewriteIndex = true;
    const bySignature = layout('tampered-index');
    const r2 = await install(['--token-file', tokenFile, '--server', mirror, ...layoutArgs(bySignature)]);
    expect(r2.exitCode).toBe(1);
    expect(r2.stderr).toContain(`${FILE} is not signed by the hub CA the join token pins: refusing to install it`);
    nothingInstalled(bySignature);
  }, 300_000);

  it('installs side by side, resuming a half-downloaded bundle; the agent joins, reports its version and runs a pod', async () => {
    const l = layout('device');
    const real = index.find((b) => b.file === FILE)!;
    // a download cut halfway by an earlier run
    await mkdir(join(l.prefix, 'downloads'), { recursive: true });
    const half = Math.floor(bundle.length / 2);
    await writeFile(join(l.prefix, 'downloads', `${real.sha256}.part`), bundle.subarray(0, half));

    const started = performance.now();
    const r = await install(['--token-file', tokenFile, ...layoutArgs(l)]);
    const installed = performance.now();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`resuming ${FILE} at byte ${half}`);
    expect(r.stderr).toContain('hub CA verified against the join token');
    agentPid = Number((await readFile(join(l.data, 'agent.pid'), 'utf8')).trim());
    expect(agentPid).toBeGreaterThan(1);

    // the layout: versions/<v> + current, no download left, the token 0600, the agent's command printed
    expect(await readlink(join(l.prefix, 'current'))).toBe(`versions/${VERSION}`);
    expect((await lstat(join(l.prefix, 'current'))).isSymbolicLink()).toBe(true);
    expect((await readFile(join(l.prefix, 'current', 'VERSION'), 'utf8')).trim()).toBe(VERSION);
    expect(existsSync(join(l.prefix, 'downloads'))).toBe(false);
    expect((await stat(join(l.config, 'join-token'))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(l.config, 'join-token'), 'utf8')).trim()).toBe(token);
    expect(await readFile(join(l.config, 'agent.env'), 'utf8')).toBe(`DROVER_HUB=${hub.mqttUrl}\nDROVER_NAME=${NODE}\nDROVER_RUNTIME=containerd\n`);
    expect(r.stdout).toContain(`${l.prefix}/current/agent/supervisor.js --hub ${hub.mqttUrl} --token-file ${l.config}/join-token --name ${NODE}`);

    // the agent joins, with its version as a label
    type NodeJson = { metadata: { name: string; labels?: Record<string, string> }; status?: { nodeInfo?: { kubeletVersion?: string }; conditions?: { type: string; status: string }[] } };
    const node = await waitFor(
      `${NODE} Ready`,
      async () => {
        const nodes = await hub.json<{ items: NodeJson[] }>(['get', 'nodes']);
        const n = nodes.items.find((x) => x.metadata.name === NODE);
        return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
      },
      120_000,
      1000,
    ).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\nagent log:\n${await readFile(join(l.data, 'agent.log'), 'utf8').catch(() => '')}`);
    });
    console.log(
      `INSTALL-FIGURE: install.sh (resuming at ${half} of ${bundle.length} bytes) ${((installed - started) / 1000).toFixed(1)} s; node Ready ${((performance.now() - started) / 1000).toFixed(1)} s after the script started; loadavg ${(await readFile('/proc/loadavg', 'utf8')).trim()}`,
    );
    expect(node.metadata.labels?.['drover.io/agent-version']).toBe(VERSION);
    expect(node.status?.nodeInfo?.kubeletVersion).toBe(`drover-${VERSION}`);
    const listed = await hub.cli(['get', 'nodes', '-L', 'drover.io/agent-version']);
    expect(listed.stdout).toMatch(new RegExp(`${NODE}\\s.*\\s${VERSION.replace(/\./g, '\\.')}\\s*$`, 'm'));

    // a pod from the image already in containerd: nothing to pull, no registry needed
    await hub.cli(['apply', '-n', NAMESPACE, '-f', '-'], {
      input: `apiVersion: v1
kind: Pod
metadata:
  name: dis-pod
spec:
  nodeName: ${NODE}
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGE}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "echo installed-from-hub; sleep 3600"]
`,
    });
    await waitFor(
      'dis-pod Running',
      async () => (await hub.json<{ status?: { phase?: string } }>(['get', 'pod', '-n', NAMESPACE, 'dis-pod'])).status?.phase === 'Running',
      120_000,
      1000,
    );
    const logs = await waitFor('dis-pod logs', async () => {
      const out = (await hub.cli(['logs', '-n', NAMESPACE, 'dis-pod'], { reject: false })).stdout;
      return out.includes('installed-from-hub') ? out : undefined;
    }, 60_000, 1000);
    expect(logs).toContain('installed-from-hub');
  }, 400_000);

  it('a second run with a newer bundle installs it beside the first: current switches, previous keeps the old, the agent restarts into it, the pod keeps running', async () => {
    const l = layout('device');
    const [major, minor, patch] = VERSION.split('-')[0]!.split('.').map(Number) as [number, number, number];
    const next = `${major}.${minor}.${patch + 1}`;
    // the same agent repacked as the next version, copied into the hub's bundle directory
    const work = await mkdtemp(join(tmpdir(), 'drover-install-next-'));
    try {
      await execa('tar', ['-C', work, '-xzf', join(ROOT, 'dist/bundles', FILE)]);
      await writeFile(join(work, 'drover-agent', 'VERSION'), `${next}\n`);
      const pkg = JSON.parse(await readFile(join(work, 'drover-agent', 'package.json'), 'utf8')) as Record<string, unknown>;
      await writeFile(join(work, 'drover-agent', 'package.json'), JSON.stringify({ ...pkg, version: next }, null, 2));
      await mkdir(join(dir, 'hub', 'bundles'), { recursive: true });
      await execa('sh', ['-c', `tar -C '${work}' -czf '${join(dir, 'hub', 'bundles', `drover-agent-${next}-linux-amd64.tar.gz`)}' drover-agent`]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const before = agentPid!;
    const r = await install(['--token-file', tokenFile, ...layoutArgs(l)]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain(`stopping the agent running as pid ${before}`);
    expect(await readlink(join(l.prefix, 'current'))).toBe(`versions/${next}`);
    expect(await readlink(join(l.prefix, 'previous'))).toBe(`versions/${VERSION}`);
    expect((await readFile(join(l.prefix, 'versions', VERSION, 'VERSION'), 'utf8')).trim()).toBe(VERSION);
    agentPid = Number((await readFile(join(l.data, 'agent.pid'), 'utf8')).trim());
    expect(agentPid).not.toBe(before);
    expect(existsSync(`/proc/${before}`)).toBe(false);
    await waitFor(
      `${NODE} on ${next}`,
      async () => {
        const n = await hub.json<{ metadata: { labels?: Record<string, string> } }>(['get', 'node', NODE]);
        return n.metadata.labels?.['drover.io/agent-version'] === next;
      },
      120_000,
      1000,
    );
    expect((await hub.json<{ status?: { phase?: string } }>(['get', 'pod', '-n', NAMESPACE, 'dis-pod'])).status?.phase).toBe('Running');
  }, 300_000);

  it('refuses a token without a CA hash before fetching anything', async () => {
    const r = await execa('sh', [join(ROOT, 'install/install.sh'), '--token', 'drover-join.abc.def', '--server', 'https://192.0.2.1:7070', '--no-systemd', '--prefix', join(dir, 'bare', 'opt')], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('the join token has no CA hash (K10<sha256>::drover-join...)');
    expect(existsSync(join(dir, 'bare'))).toBe(false);
  });
});
