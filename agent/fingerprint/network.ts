import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import type { Fingerprinter } from './fingerprinter.js';
import { defaultRouteInterface, readOptional } from './linux-proc.js';

export interface NetworkFacts {
  /** Non-internal IPv4 addresses, the default route's interface first: the node's InternalIPs. */
  internalIPs: string[];
}

/** Interfaces that belong to container networking, not to the host's own network. */
const CONTAINER_INTERFACES = /^(docker\d*|br-|veth|cni|flannel|cali|virbr|vxlan|tunl|kube-)/;

export interface InterfaceInfo {
  iface: string;
  ip4: string;
  internal: boolean;
  default?: boolean;
}

/** Pick the node's addresses from the interface list. */
export function internalIPv4s(interfaces: InterfaceInfo[]): string[] {
  const candidates = interfaces.filter((i) => i.ip4 && !i.internal && !CONTAINER_INTERFACES.test(i.iface) && !i.ip4.startsWith('169.254.'));
  candidates.sort((a, b) => Number(b.default ?? false) - Number(a.default ?? false));
  return [...new Set(candidates.map((i) => i.ip4))];
}

/** One entry per interface with its first IPv4 address (as systeminformation listed them); `default` from the route table. */
export function interfaceInfos(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>, defaultIface: string | undefined): InterfaceInfo[] {
  return Object.entries(interfaces).map(([iface, addresses = []]) => {
    const ip4 = addresses.find((a) => a.family === 'IPv4');
    return { iface, ip4: ip4?.address ?? '', internal: ip4?.internal ?? addresses.every((a) => a.internal), default: iface === defaultIface };
  });
}

/** The node's addresses from os.networkInterfaces(), the default route's interface (/proc/net/route) first. */
export function createNetworkFingerprinter(opts: { periodMs?: number; routePath?: string } = {}): Fingerprinter<NetworkFacts> {
  return {
    name: 'network',
    periodMs: opts.periodMs ?? 60_000,
    async collect() {
      const routes = await readOptional(opts.routePath ?? '/proc/net/route');
      return { internalIPs: internalIPv4s(interfaceInfos(networkInterfaces(), routes ? defaultRouteInterface(routes) : undefined)) };
    },
  };
}
