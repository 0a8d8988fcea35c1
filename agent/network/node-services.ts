/**
 * The node's Services, from its network set: the service proxy (service-proxy.ts, the agent as kube-proxy),
 * cluster DNS on the node's bridge address (dns-server.ts, the agent as CoreDNS) and the service variables
 * of new containers (service-env.ts). agent.ts hands it each set after the pod network applied it (so the
 * bridge and its address exist), the stored one first: Services go on working while the hub is away.
 *
 * apply(set) programs the proxy (errors logged, retried at the next resync: the rules applied before stay
 * in force) and swaps DNS's zone at once; DNS listens on the pod CIDR's .1 and is started (again, on the
 * new address, when the pod CIDR changes) as soon as it can bind there, retried every second until then.
 * Upstream resolvers are the node's own (/etc/resolv.conf), read again at every resync.
 */
import type { Logger } from '../../protocol/logger.js';
import type { NetworkService, NetworkSetMessage } from '../../protocol/messages.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { createExecaRunner, type ProcessRunner } from '../../runtime-adapters/process-runner.js';
import { podNamespace } from '../desired-set.js';
import type { PodServiceEnv } from '../pod-services.js';
import { nthAddress, parseCidr } from './cidr.js';
import { createClusterDns, type ClusterDns } from './dns-server.js';
import { readNodeResolvers } from './dns-resolv-conf.js';
import { createServiceProxy, type ServiceProxy } from './service-proxy.js';
import { serviceEnv } from './service-env.js';

export const SERVICES_RESYNC_MS = 30_000;
export const DNS_RETRY_MS = 1_000;

export interface NodeServicesOptions {
  logger: Logger;
  /** Runs nft and conntrack (default execa). */
  runner?: ProcessRunner;
  /** The service proxy's nftables table (default `drover`). */
  table?: string;
  /** Cluster DNS's port (default 53). */
  dnsPort?: number;
  /** The node's resolv.conf, whose nameservers get what is not the cluster's (default /etc/resolv.conf). */
  resolvConf?: string;
  resyncMs?: number;
  dnsRetryMs?: number;
}

export interface NodeServices extends PodServiceEnv {
  /** Program the proxy and DNS for this set (serialised; resolves when the proxy was tried; errors logged). */
  apply(set: NetworkSetMessage): Promise<void>;
  /** The Services of the set last given. */
  services(): readonly NetworkService[];
  /** The cluster DNS server, once it listens (tests, benchmarks). */
  dnsAddress(): { address: string; port: number } | undefined;
  /** Start the resync timer. */
  start(): void;
  /** Stop DNS and the timers; the proxy's rules stay in the kernel. */
  stop(): Promise<void>;
}

export function createNodeServices(opts: NodeServicesOptions): NodeServices {
  const log = opts.logger.child({ component: 'services' });
  const resolvConf = opts.resolvConf ?? '/etc/resolv.conf';
  const proxy: ServiceProxy = createServiceProxy({
    logger: log.child({ component: 'service-proxy' }),
    runner: opts.runner ?? createExecaRunner(),
    ...(opts.table ? { table: opts.table } : {}),
  });
  let set: NetworkSetMessage | undefined;
  let dns: { server: ClusterDns; address: string; listening: boolean } | undefined;
  let queue: Promise<void> = Promise.resolve();
  let lastProxyError: string | undefined;
  let lastDnsError: string | undefined;
  let resync: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;

  async function applyProxy(s: NetworkSetMessage): Promise<void> {
    try {
      const r = await proxy.apply(s);
      if (lastProxyError) log.info('service rules applied again');
      lastProxyError = undefined;
      if (r.changed) log.info({ generation: s.generation, served: r.served, rejected: r.rejected }, 'service proxy programmed');
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastProxyError) log.error({ err }, 'could not program the service proxy; the rules applied before stay; trying again at the next resync');
      lastProxyError = message;
    }
  }

  /** DNS on the set's bridge address: made (again, when the address changed) and fed the set's zone. */
  async function applyDns(s: NetworkSetMessage): Promise<void> {
    const cidr = s.podCIDR ? parseCidr(s.podCIDR) : undefined;
    const address = cidr ? nthAddress(cidr, 1) : undefined;
    if (dns && dns.address !== address) {
      log.info({ had: dns.address, now: address }, 'the pod CIDR changed: cluster DNS moves');
      await dns.server.stop();
      dns = undefined;
    }
    if (!address) return;
    if (!dns) {
      const upstream = await readNodeResolvers(resolvConf, [address]);
      const server = createClusterDns({ logger: log.child({ component: 'cluster-dns' }), listenAddress: address, upstream, ...(opts.dnsPort === undefined ? {} : { port: opts.dnsPort }) });
      dns = { server, address, listening: false };
    }
    dns.server.update({ clusterDomain: s.clusterDomain, services: s.services, generation: s.generation });
    await startDns();
  }

  /** Bind DNS if it does not listen yet; until it can (the bridge address is not up yet), every second. */
  async function startDns(): Promise<void> {
    const current = dns;
    if (!current || current.listening || stopped) return;
    try {
      await current.server.start();
      current.listening = true;
      lastDnsError = undefined;
      log.info({ address: current.server.address() }, 'cluster DNS listening');
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastDnsError) log.warn({ err }, 'cluster DNS cannot listen yet; trying again every second');
      lastDnsError = message;
      if (!retry && !stopped) {
        retry = setTimeout(() => {
          retry = undefined;
          queue = queue.then(startDns);
        }, opts.dnsRetryMs ?? DNS_RETRY_MS);
        retry.unref?.();
      }
    }
  }

  function apply(s: NetworkSetMessage): Promise<void> {
    set = s;
    const next = queue.then(async () => {
      const current = set!;
      await applyProxy(current);
      try {
        await applyDns(current);
      } catch (err) {
        log.error({ err }, 'could not set up cluster DNS; trying again at the next resync');
      }
    });
    queue = next;
    return next;
  }

  async function refreshUpstream(): Promise<void> {
    if (!dns) return;
    try {
      dns.server.setUpstream(await readNodeResolvers(resolvConf, [dns.address]));
    } catch (err) {
      log.warn({ err, resolvConf }, "cannot read the node's resolvers; cluster DNS keeps the ones it had");
    }
  }

  return {
    apply,
    services: () => set?.services ?? [],
    dnsAddress: () => (dns?.listening ? dns.server.address() : undefined),
    envFor: (pod: Pod) => serviceEnv(set?.services ?? [], podNamespace(pod), { enableServiceLinks: pod.spec.enableServiceLinks ?? true }),
    start() {
      resync = setInterval(() => {
        if (!set) return;
        void apply(set);
        queue = queue.then(refreshUpstream);
      }, opts.resyncMs ?? SERVICES_RESYNC_MS);
      resync.unref?.();
    },
    async stop() {
      stopped = true;
      if (resync) clearInterval(resync);
      if (retry) clearTimeout(retry);
      resync = retry = undefined;
      await queue;
      await dns?.server.stop();
      dns = undefined;
    },
  };
}
