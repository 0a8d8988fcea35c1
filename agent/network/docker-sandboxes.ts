/**
 * Pod sandboxes on Docker: a per-node bridge network (`docker network create --driver bridge --subnet
 * <pod CIDR> --gateway <.1>`, its bridge named like containerd's pod bridge, its MTU the overlay's, Docker's
 * own masquerading off: node-setup.ts masquerades only what leaves the cluster CIDR), re-created when the pod
 * CIDR or MTU changes; and per pod a sandbox ("pause") container on it that holds the pod's network
 * namespace, its IP and its published host ports (`-p`); the pod's containers join it
 * (`--network container:<sandbox>`), so they share localhost and one IP, as in Kubernetes.
 *
 * Sandboxes carry labels of their own (io.drover.sandbox, the pod uid, the node) and not io.drover.managed:
 * the pods loop never lists them as containers. The sandbox id is Docker's container id, so a sandbox made
 * anew (it stopped, the network changed) is a new id and the pod's containers are re-created.
 *
 * The pause image (default drover.local/pause:1) is made locally when missing, from the node's static
 * busybox (Debian's busybox-static): nothing is pulled.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../protocol/logger.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import type { PortMapping } from '../../runtime-adapters/runtime.js';
import { podNamespace, podUid } from '../desired-set.js';
import { PodNetworkError } from '../errors.js';
import type { PodSandbox } from '../pod-sandbox.js';
import { nthAddress, parseCidr } from './cidr.js';
import type { NetCommands } from './net-commands.js';
import type { DnsSettings } from './resolv-conf.js';

export const SANDBOX_LABELS = {
  sandbox: 'io.drover.sandbox',
  key: 'io.drover.sandbox.key',
} as const;
export const DEFAULT_PAUSE_IMAGE = 'drover.local/pause:1';
/** Where Debian's busybox-static puts its binary. */
const STATIC_BUSYBOX = '/bin/busybox';

export interface DockerSandboxContext {
  podCIDR: string;
  mtu: number;
}

export interface DockerPodContext extends DockerSandboxContext {
  /** The pod's hostname (pod-hosts.ts podHostname): the sandbox's, which the pod's containers share. */
  hostname: string;
}

export interface DockerSandboxes {
  /** The node's bridge network for this pod CIDR and MTU (re-created, with every sandbox, if it differs). */
  ensureNetwork(ctx: DockerSandboxContext): Promise<void>;
  ensure(pod: Pod, ports: PortMapping[], dns: DnsSettings | undefined, ctx: DockerPodContext): Promise<Omit<PodSandbox, 'mounts'>>;
  current(uid: string): Omit<PodSandbox, 'mounts'> | undefined;
  release(uid: string): Promise<void>;
  prune(keep: ReadonlySet<string>): Promise<void>;
  /** Remove every sandbox of this node and the network (tests, a node leaving the pod network). */
  removeAll(): Promise<void>;
}

export interface DockerSandboxesOptions {
  commands: NetCommands;
  nodeName: string;
  /** The docker network's name (default "drover"). */
  network: string;
  /** Its Linux bridge's name (default "drover0"). */
  bridge: string;
  pauseImage: string;
  /** docker -H, when not the CLI's default. */
  host?: string | undefined;
  logger: Logger;
}

interface NetworkInspect {
  IPAM?: { Config?: { Subnet?: string; Gateway?: string }[] };
  Options?: Record<string, string>;
}
interface ContainerInspect {
  Id: string;
  State?: { Running?: boolean };
  Config?: { Labels?: Record<string, string> | null };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> | null };
}

/** `drover-sandbox_<ns>_<pod>_<uid first 8>`: cannot be a pod container's name (those start `drover_`). */
export function sandboxName(pod: Pod): string {
  return `drover-sandbox_${podNamespace(pod)}_${pod.metadata.name}_${podUid(pod).replace(/-/g, '').slice(0, 8)}`;
}

export function dockerNetworkArgs(name: string, bridge: string, podCIDR: string, mtu: number): string[] {
  const cidr = parseCidr(podCIDR);
  if (!cidr) throw new Error(`pod CIDR ${podCIDR} is not an IPv4 CIDR`);
  return [
    'network', 'create', '--driver', 'bridge', '--subnet', `${nthAddress(cidr, 0)}/${cidr.prefix}`, '--gateway', nthAddress(cidr, 1),
    '-o', `com.docker.network.bridge.name=${bridge}`, '-o', `com.docker.network.driver.mtu=${mtu}`,
    '-o', 'com.docker.network.bridge.enable_ip_masquerade=false', '--label', 'io.drover.network=pods', name,
  ];
}

/** `docker run` arguments of a pod's sandbox. Pure. */
export function sandboxRunArgs(o: {
  name: string;
  network: string;
  image: string;
  labels: Record<string, string>;
  ports: PortMapping[];
  dns: DnsSettings | undefined;
  hostname?: string;
}): string[] {
  const args = ['run', '--detach', '--name', o.name, '--network', o.network, '--restart', 'no'];
  // containers joining with --network container: take the sandbox's hostname (Docker refuses --hostname there)
  if (o.hostname) args.push('--hostname', o.hostname);
  for (const [k, v] of Object.entries(o.labels)) args.push('--label', `${k}=${v}`);
  for (const n of o.dns?.nameservers ?? []) args.push('--dns', n);
  for (const s of o.dns?.searches ?? []) args.push('--dns-search', s);
  for (const opt of o.dns?.options ?? []) args.push('--dns-option', opt);
  for (const p of o.ports) {
    if (p.hostPort === undefined) continue;
    args.push('--publish', `${p.hostIP ? `${p.hostIP}:` : ''}${p.hostPort}:${p.containerPort}/${p.protocol.toLowerCase()}`);
  }
  args.push(o.image);
  return args;
}

export function createDockerSandboxes(opts: DockerSandboxesOptions): DockerSandboxes {
  const { commands: cmd, nodeName } = opts;
  const log = opts.logger.child({ component: 'docker-sandboxes' });
  const global = opts.host ? ['-H', opts.host] : [];
  const docker = (args: string[]) => cmd.run('docker', [...global, ...args]);
  const dockerChange = (args: string[]) => cmd.change('docker', [...global, ...args]);
  const cache = new Map<string, Omit<PodSandbox, 'mounts'>>();
  let networkReady: string | undefined;

  async function inspectContainer(name: string): Promise<ContainerInspect | undefined> {
    const r = await docker(['inspect', '--type', 'container', name]);
    if (r.exitCode !== 0) return undefined;
    return (JSON.parse(r.stdout) as ContainerInspect[])[0];
  }

  async function sandboxIds(labels: Record<string, string>): Promise<string[]> {
    const args = ['ps', '--all', '--quiet', '--no-trunc', '--filter', `label=${SANDBOX_LABELS.sandbox}=true`, '--filter', `label=${RUNTIME_LABELS.node}=${nodeName}`];
    for (const [k, v] of Object.entries(labels)) args.push('--filter', `label=${k}=${v}`);
    const r = await docker(args);
    if (r.exitCode !== 0) throw new PodNetworkError(`cannot list the pod sandboxes: ${r.stderr.trim()}`);
    return r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  }

  async function removeSandboxes(labels: Record<string, string>): Promise<void> {
    const ids = await sandboxIds(labels);
    if (ids.length > 0) await dockerChange(['rm', '--force', ...ids]);
  }

  async function ensurePauseImage(): Promise<void> {
    if ((await docker(['image', 'inspect', '--format', '{{.Id}}', opts.pauseImage])).exitCode === 0) return;
    log.info({ image: opts.pauseImage, from: STATIC_BUSYBOX }, 'making the pause image from the static busybox');
    const dir = await mkdtemp(join(tmpdir(), 'drover-pause-'));
    try {
      await copyFile(STATIC_BUSYBOX, join(dir, 'busybox'));
      await cmd.change('tar', ['-C', dir, '-cf', join(dir, 'rootfs.tar'), 'busybox']);
      // PID 1 ignores SIGTERM without a handler: sandboxes are removed with `rm --force` (SIGKILL)
      await dockerChange(['import', '--change', 'ENTRYPOINT ["/busybox", "sleep", "2147483647"]', join(dir, 'rootfs.tar'), opts.pauseImage]);
    } catch (err) {
      throw new PodNetworkError(`no pause image ${opts.pauseImage}, and it cannot be made from ${STATIC_BUSYBOX} (apt-get install -y busybox-static): ${(err as Error).message}`, { cause: err });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async function ensureNetwork(ctx: DockerSandboxContext): Promise<void> {
    const want = dockerNetworkArgs(opts.network, opts.bridge, ctx.podCIDR, ctx.mtu);
    const wantKey = want.join(' ');
    if (networkReady === wantKey) return;
    const r = await docker(['network', 'inspect', opts.network]);
    if (r.exitCode === 0) {
      const have = (JSON.parse(r.stdout) as NetworkInspect[])[0];
      const cfg = have?.IPAM?.Config?.[0];
      const o = have?.Options ?? {};
      const cidr = parseCidr(ctx.podCIDR)!;
      const same =
        cfg?.Subnet === `${nthAddress(cidr, 0)}/${cidr.prefix}` &&
        cfg.Gateway === nthAddress(cidr, 1) &&
        o['com.docker.network.bridge.name'] === opts.bridge &&
        o['com.docker.network.driver.mtu'] === String(ctx.mtu);
      if (same) {
        networkReady = wantKey;
        return;
      }
      log.info({ network: opts.network, had: cfg, want: ctx }, 'the pod network changed: re-creating the docker network and every sandbox');
      await removeSandboxes({});
      cache.clear();
      await dockerChange(['network', 'rm', opts.network]);
    }
    await dockerChange(want);
    networkReady = wantKey;
  }

  return {
    ensureNetwork,
    async ensure(pod, ports, dns, ctx) {
      const uid = podUid(pod);
      await ensureNetwork(ctx);
      const name = sandboxName(pod);
      const key = createHash('sha256')
        .update(JSON.stringify({ net: opts.network, cidr: ctx.podCIDR, mtu: ctx.mtu, ports, dns, image: opts.pauseImage, hostname: ctx.hostname }))
        .digest('hex')
        .slice(0, 16);
      const have = await inspectContainer(name);
      const ip = have?.NetworkSettings?.Networks?.[opts.network]?.IPAddress;
      if (have && have.State?.Running && have.Config?.Labels?.[SANDBOX_LABELS.key] === key && ip) {
        const sb = { id: have.Id, network: { mode: 'container' as const, container: name }, podIPs: [ip] };
        cache.set(uid, sb);
        return sb;
      }
      if (have) {
        log.info({ uid, sandbox: have.Id, running: have.State?.Running ?? false }, 'pod sandbox made anew');
        await dockerChange(['rm', '--force', have.Id]);
      }
      await ensurePauseImage();
      const labels = {
        [SANDBOX_LABELS.sandbox]: 'true',
        [SANDBOX_LABELS.key]: key,
        [RUNTIME_LABELS.node]: nodeName,
        [RUNTIME_LABELS.podUid]: uid,
        [RUNTIME_LABELS.podName]: pod.metadata.name,
        [RUNTIME_LABELS.podNamespace]: podNamespace(pod),
      };
      const run = await docker(sandboxRunArgs({ name, network: opts.network, image: opts.pauseImage, labels, ports, dns, hostname: ctx.hostname }));
      if (run.exitCode !== 0) {
        await docker(['rm', '--force', name]);
        throw new PodNetworkError(`cannot start the sandbox of pod ${podNamespace(pod)}/${pod.metadata.name}: ${run.stderr.trim()}`);
      }
      const made = await inspectContainer(name);
      const madeIp = made?.NetworkSettings?.Networks?.[opts.network]?.IPAddress;
      if (!made || !madeIp) throw new PodNetworkError(`the sandbox of pod ${podNamespace(pod)}/${pod.metadata.name} has no address on ${opts.network}`);
      const sb = { id: made.Id, network: { mode: 'container' as const, container: name }, podIPs: [madeIp] };
      cache.set(uid, sb);
      log.info({ uid, sandbox: made.Id, ip: madeIp }, 'pod sandbox made');
      return sb;
    },
    current: (uid) => cache.get(uid),
    async release(uid) {
      cache.delete(uid);
      await removeSandboxes({ [RUNTIME_LABELS.podUid]: uid });
    },
    async prune(keep) {
      const ids = await sandboxIds({});
      if (ids.length === 0) return;
      const r = await docker(['inspect', '--type', 'container', ...ids]);
      if (r.exitCode !== 0 && !r.stdout.trim().startsWith('[')) return;
      const gone = (JSON.parse(r.stdout) as ContainerInspect[]).filter((c) => !keep.has(c.Config?.Labels?.[RUNTIME_LABELS.podUid] ?? ''));
      for (const c of gone) {
        cache.delete(c.Config?.Labels?.[RUNTIME_LABELS.podUid] ?? '');
        await dockerChange(['rm', '--force', c.Id]);
      }
    },
    async removeAll() {
      await removeSandboxes({});
      cache.clear();
      networkReady = undefined;
      if ((await docker(['network', 'inspect', opts.network])).exitCode === 0) await dockerChange(['network', 'rm', opts.network]);
    },
  };
}
