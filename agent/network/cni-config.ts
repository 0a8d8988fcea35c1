/**
 * The CNI configuration of a containerd pod, for Debian's containernetworking-plugins (/usr/lib/cni):
 *   eth0: bridge (the node's pod bridge, the pod's gateway; no ipMasq: the node masquerades only what
 *         leaves the cluster CIDR, so pods on other nodes see pod IPs) with host-local IPAM on the node's
 *         pod CIDR (gateway .1, state in the agent's data dir), then portmap for hostPorts;
 *   lo:   loopback.
 * Pure: the plugins are run by cni.ts.
 */
import type { PortMapping } from '../../runtime-adapters/runtime.js';
import { nthAddress, parseCidr } from './cidr.js';

export const CNI_VERSION = '1.0.0';
export const CNI_NETWORK_NAME = 'drover';
/** Where Debian's containernetworking-plugins puts the plugins. */
export const DEFAULT_CNI_PATH = '/usr/lib/cni';

/** One plugin's configuration, as a plugin reads it on stdin (without prevResult, which cni.ts adds). */
export type CniPluginConfig = Record<string, unknown> & { type: string };

export interface PodCniOptions {
  bridge: string;
  podCIDR: string;
  mtu: number;
  /** host-local's state directory. */
  ipamDataDir: string;
}

/** The portmap plugin's view of a port: only ports with a hostPort, protocols in lowercase. */
export function cniPortMappings(ports: PortMapping[]): { hostPort: number; containerPort: number; protocol: string; hostIP?: string }[] {
  return ports
    .filter((p) => p.hostPort !== undefined)
    .map((p) => ({
      hostPort: p.hostPort!,
      containerPort: p.containerPort,
      protocol: p.protocol.toLowerCase(),
      ...(p.hostIP ? { hostIP: p.hostIP } : {}),
    }));
}

/** The plugins of the pod's eth0, in ADD order. Throws for a pod CIDR that is not IPv4 CIDR. */
export function podNetworkPlugins(opts: PodCniOptions, ports: PortMapping[]): CniPluginConfig[] {
  const cidr = parseCidr(opts.podCIDR);
  if (!cidr) throw new Error(`pod CIDR ${opts.podCIDR} is not an IPv4 CIDR`);
  const plugins: CniPluginConfig[] = [
    {
      type: 'bridge',
      bridge: opts.bridge,
      isGateway: true,
      ipMasq: false,
      hairpinMode: true,
      mtu: opts.mtu,
      ipam: {
        type: 'host-local',
        ranges: [[{ subnet: `${nthAddress(cidr, 0)}/${cidr.prefix}`, gateway: nthAddress(cidr, 1) }]],
        routes: [{ dst: '0.0.0.0/0' }],
        dataDir: opts.ipamDataDir,
      },
    },
  ];
  const mappings = cniPortMappings(ports);
  if (mappings.length > 0) {
    plugins.push({ type: 'portmap', capabilities: { portMappings: true }, snat: true, runtimeConfig: { portMappings: mappings } });
  }
  return plugins;
}

export function loopbackPlugins(): CniPluginConfig[] {
  return [{ type: 'loopback' }];
}

/** The config a plugin gets on stdin: the network's name and version, the plugin's own keys, the chain's result so far. */
export function pluginStdin(plugin: CniPluginConfig, prevResult: unknown): string {
  return JSON.stringify({ cniVersion: CNI_VERSION, name: CNI_NETWORK_NAME, ...plugin, ...(prevResult === undefined ? {} : { prevResult }) });
}

/** The result of an ADD, as far as Drover reads it: the pod's addresses ("10.42.1.5/24"). */
export interface CniResult {
  cniVersion?: string;
  interfaces?: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: unknown[];
  dns?: unknown;
}

/** The IPs (without prefix length) of an ADD's result. */
export function resultIPs(result: CniResult | undefined): string[] {
  return (result?.ips ?? []).map((i) => i.address.split('/')[0]!).filter(Boolean);
}
