/**
 * The node's pod network, from the network set the hub sends (stored by link/network-set-store.ts
 * before it reaches here): apply(set) programs the node (pod bridge or Docker network, masquerading, the
 * VXLAN overlay to every peer) and the PodSandboxes side makes each pod's sandbox on it (cni-sandboxes.ts
 * on containerd, docker-sandboxes.ts on Docker) with its resolv.conf (pod-dns.ts). Applies are serialised
 * and re-run every resync (30 s) and after a failure, so what someone removed by hand comes back.
 *
 * Until the node has a network set at all (a hub without the pod network), pods run as before: host
 * networking on containerd, Docker's default bridge. Once it has one, a pod waits (ContainerCreating) until
 * the set carries the node's pod CIDR.
 */
import type { Logger } from '../../protocol/logger.js';
import type { NetworkSetMessage } from '../../protocol/messages.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { createExecaRunner, type ProcessRunner } from '../../runtime-adapters/process-runner.js';
import type { Mount, PortMapping, RuntimeName } from '../../runtime-adapters/runtime.js';
import { podUid } from '../desired-set.js';
import { PodNetworkError } from '../errors.js';
import type { PodSandbox, PodSandboxes } from '../pod-sandbox.js';
import { nthAddress, parseCidr } from './cidr.js';
import { createCni } from './cni.js';
import { DEFAULT_CNI_PATH } from './cni-config.js';
import { createCniSandboxes, type CniSandboxes } from './cni-sandboxes.js';
import { createDockerSandboxes, DEFAULT_PAUSE_IMAGE, type DockerSandboxes } from './docker-sandboxes.js';
import { createNetCommands, type NetCommands } from './net-commands.js';
import { ensureDockerForward, ensureHairpin, ensureIpForward, ensureMasquerade, ensurePodBridge, removeDockerForward, removeMasquerade } from './node-setup.js';
import { createOverlay, underlayOf, VXLAN_OVERHEAD, type Overlay } from './overlay.js';
import { writePodResolvConf } from './pod-dns.js';
import { podHostname, renderPodHosts, writePodHosts } from './pod-hosts.js';
import { podDnsSettings, readNodeDns, type DnsSettings } from './resolv-conf.js';

/** The names of what the pod network makes on the node; tests running several "nodes" on one host change them. */
export interface NetworkNames {
  /** The pod bridge (containerd: made here and by CNI's bridge plugin; Docker: the network's bridge). */
  bridge: string;
  /** The VXLAN device. */
  vxlan: string;
  /** Docker's network of the node's pods. */
  dockerNetwork: string;
  /** Pods' network namespaces: <prefix><uid>. */
  netnsPrefix: string;
  /** Drover's nftables table (masquerading). */
  nftTable: string;
}

export const DEFAULT_NETWORK_NAMES: NetworkNames = {
  bridge: 'drover0',
  vxlan: 'drover.1',
  dockerNetwork: 'drover',
  netnsPrefix: 'drover-',
  nftTable: 'drover_podnet',
};

export const RESYNC_MS = 30_000;

export interface NodeNetworkOptions {
  nodeName: string;
  runtime: RuntimeName;
  dataDir: string;
  logger: Logger;
  /** The node's own underlay address (its first InternalIP) when the set does not list the node itself. */
  nodeIP: () => string | undefined;
  /** Told when the VXLAN device's MAC is known or changes (it goes up in the node status). */
  onVtepMac?: (mac: string) => void;
  names?: Partial<NetworkNames>;
  run?: ProcessRunner;
  cniPath?: string;
  pauseImage?: string;
  dockerHost?: string;
  /** The node's own resolver settings (dnsPolicy Default); default: /etc/resolv.conf. */
  nodeDns?: () => Promise<DnsSettings>;
  resyncMs?: number;
}

export interface NodeNetwork extends PodSandboxes {
  /** Program the node for this set (serialised with other applies; resolves when done, errors logged). */
  apply(set: NetworkSetMessage): Promise<void>;
  /** The set last given (the stored one, before the hub is reached). */
  networkSet(): NetworkSetMessage | undefined;
  /** The VXLAN device's MAC, once it is made. */
  vtepMAC(): string | undefined;
  /** The overlay's MTU as applied (the set's, or less when this node's underlay is smaller). */
  mtu(): number | undefined;
  /** Start the resync timer. */
  start(): void;
  stop(): Promise<void>;
  /** Remove what the node network made on the node (overlay, masquerading, forward rules, pod bridge or Docker network and its sandboxes); not containerd pods' namespaces. */
  teardownNode(): Promise<void>;
}

/** The pod's ports with a hostPort (what portmap / Docker's -p publish). */
export function hostPortsOf(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (p.hostPort === undefined) continue;
      out.push({ containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol ?? 'TCP', ...(p.hostIP ? { hostIP: p.hostIP } : {}) });
    }
  }
  return out;
}

export function createNodeNetwork(opts: NodeNetworkOptions): NodeNetwork {
  const names = { ...DEFAULT_NETWORK_NAMES, ...opts.names };
  const log = opts.logger.child({ component: 'pod-network' });
  const run = opts.run ?? createExecaRunner();
  const cmd: NetCommands = createNetCommands({ run, logger: log });
  const overlay: Overlay = createOverlay({ commands: cmd, device: names.vxlan, logger: log });
  const nodeDns = opts.nodeDns ?? (() => readNodeDns());
  let cniSandboxes: CniSandboxes | undefined;
  let dockerSandboxes: DockerSandboxes | undefined;
  if (opts.runtime === 'containerd') {
    cniSandboxes = createCniSandboxes({
      cni: createCni({ cniPath: opts.cniPath ?? DEFAULT_CNI_PATH, run, logger: log }),
      commands: cmd,
      dataDir: opts.dataDir,
      bridge: names.bridge,
      netnsPrefix: names.netnsPrefix,
      logger: log,
    });
  } else if (opts.runtime === 'docker') {
    dockerSandboxes = createDockerSandboxes({
      commands: cmd,
      nodeName: opts.nodeName,
      network: names.dockerNetwork,
      bridge: names.bridge,
      pauseImage: opts.pauseImage ?? DEFAULT_PAUSE_IMAGE,
      host: opts.dockerHost,
      logger: log,
    });
  }

  let set: NetworkSetMessage | undefined;
  let applied: { podCIDR: string; mtu: number } | undefined;
  let mac: string | undefined;
  let queue: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let lastError: string | undefined;

  /** The overlay's MTU: the set's, or the underlay's less VXLAN's overhead when that is smaller. */
  function overlayMtu(s: NetworkSetMessage, underlayMtu: number | undefined): number {
    return underlayMtu === undefined ? s.mtu : Math.min(s.mtu, underlayMtu - VXLAN_OVERHEAD);
  }

  async function applyNow(s: NetworkSetMessage): Promise<void> {
    if (!s.podCIDR) {
      log.info({ generation: s.generation }, 'the network set has no pod CIDR for this node yet: pods wait for one');
      return;
    }
    const podCIDR = s.podCIDR;
    if (!parseCidr(podCIDR) || !parseCidr(s.clusterCIDR)) throw new PodNetworkError(`the network set's CIDRs are not IPv4 CIDRs (pod ${podCIDR}, cluster ${s.clusterCIDR})`);
    const nodeIP = s.peers.find((p) => p.node === opts.nodeName)?.nodeIP ?? opts.nodeIP();
    const underlay = nodeIP ? await underlayOf(cmd, nodeIP) : undefined;
    const mtu = overlayMtu(s, underlay?.mtu);
    if (applied && (applied.podCIDR !== podCIDR || applied.mtu !== mtu)) log.info({ had: applied, now: { podCIDR, mtu } }, 'the pod network changed');
    applied = { podCIDR, mtu };
    if (cniSandboxes) await ensurePodBridge(cmd, names.bridge, podCIDR, mtu, log);
    if (dockerSandboxes) await dockerSandboxes.ensureNetwork({ podCIDR, mtu });
    if (dockerSandboxes) await ensureHairpin(cmd, names.bridge);
    if (cniSandboxes || dockerSandboxes) {
      await ensureIpForward(cmd);
      await ensureMasquerade(cmd, names.nftTable, podCIDR, s.clusterCIDR);
      await ensureDockerForward(cmd, s.clusterCIDR);
    }
    if (!nodeIP || !underlay) {
      throw new PodNetworkError(nodeIP ? `no interface holds the node's address ${nodeIP}: the overlay waits` : "the node's address is not known yet: the overlay waits");
    }
    const m = await overlay.apply({ node: opts.nodeName, podCIDR, localIP: nodeIP, underlayDevice: underlay.device, mtu, peers: s.peers });
    if (m !== mac) {
      mac = m;
      log.info({ vtepMAC: m, device: names.vxlan, local: nodeIP, mtu }, 'overlay device ready');
      opts.onVtepMac?.(m);
    }
  }

  function apply(s: NetworkSetMessage): Promise<void> {
    set = s;
    const next = queue.then(async () => {
      try {
        await applyNow(set!);
        if (lastError) log.info('the node network is programmed again');
        lastError = undefined;
      } catch (err) {
        const message = (err as Error).message;
        if (message !== lastError) log.error({ err }, 'could not program the node network; trying again at the next resync');
        lastError = message;
      }
    });
    queue = next;
    return next;
  }

  /** The pod network context a sandbox is made in; throws while the node has a set but no pod CIDR. */
  function context(): { podCIDR: string; mtu: number } {
    if (!set?.podCIDR) throw new PodNetworkError('the node has no pod CIDR yet (the hub has not allocated one): the pod waits for it');
    return applied?.podCIDR === set.podCIDR ? applied : { podCIDR: set.podCIDR, mtu: set.mtu };
  }

  async function dnsMounts(pod: Pod): Promise<Mount[]> {
    const cidr = set?.podCIDR ? parseCidr(set.podCIDR) : undefined;
    const dns = podDnsSettings(pod, { server: cidr ? nthAddress(cidr, 1) : undefined, domain: set?.clusterDomain ?? 'cluster.local' }, await nodeDns());
    return dns ? [await writePodResolvConf(opts.dataDir, podUid(pod), dns)] : [];
  }

  const none = (mounts: Mount[]): PodSandbox => ({ id: undefined, network: undefined, podIPs: [], mounts });

  return {
    apply,
    networkSet: () => set,
    vtepMAC: () => mac,
    mtu: () => applied?.mtu,
    async ensure(pod) {
      // no set at all: the node has no pod network; pods run as before
      if (!set || (!cniSandboxes && !dockerSandboxes)) return none([]);
      const mounts = await dnsMounts(pod);
      if (pod.spec.hostNetwork) return none(mounts);
      const host = podHostname(pod, set.clusterDomain);
      const ctx = { ...context(), hostname: host.hostname };
      let sandbox: Omit<PodSandbox, 'mounts'>;
      if (cniSandboxes) sandbox = await cniSandboxes.ensure(pod, hostPortsOf(pod), ctx);
      else {
        const cidr = parseCidr(ctx.podCIDR)!;
        const dns = podDnsSettings(pod, { server: nthAddress(cidr, 1), domain: set.clusterDomain }, await nodeDns());
        sandbox = await dockerSandboxes!.ensure(pod, hostPortsOf(pod), dns, ctx);
        // the sandbox's veth on the pod bridge, in hairpin mode (a pod reaching itself through a Service)
        await ensureHairpin(cmd, names.bridge);
      }
      mounts.push(await writePodHosts(opts.dataDir, podUid(pod), renderPodHosts(sandbox.podIPs, host)));
      return { ...sandbox, mounts };
    },
    current(uid) {
      const sb = cniSandboxes?.current(uid) ?? dockerSandboxes?.current(uid);
      return sb ? { ...sb, mounts: [] } : undefined;
    },
    async release(uid) {
      await cniSandboxes?.release(uid);
      await dockerSandboxes?.release(uid);
    },
    async prune(keep) {
      await cniSandboxes?.prune(keep);
      await dockerSandboxes?.prune(keep);
    },
    start() {
      timer = setInterval(() => {
        if (set) void apply(set);
      }, opts.resyncMs ?? RESYNC_MS);
      timer.unref?.();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await queue;
    },
    async teardownNode() {
      await queue;
      await overlay.remove();
      await removeMasquerade(cmd, names.nftTable);
      if (set) await removeDockerForward(cmd, set.clusterCIDR);
      await dockerSandboxes?.removeAll();
      if (cniSandboxes && (await cmd.run('ip', ['link', 'show', 'dev', names.bridge])).exitCode === 0) await cmd.change('ip', ['link', 'del', 'dev', names.bridge]);
      mac = undefined;
    },
  };
}
