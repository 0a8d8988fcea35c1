import * as si from './systeminformation.js';
import { fingerprinter, type Fingerprinter } from './fingerprinter.js';

export interface NetworkFacts {
  /** Non-internal IPv4 addresses, the default route's interface first: the node's InternalIPs. */
  internalIPs: string[];
}

/** Interfaces that belong to container networking (Drover's own pod bridge and overlay among them), not to the host's own network. */
const CONTAINER_INTERFACES = /^(docker\d*|br-|veth|cni|flannel|drover|cali|virbr|vxlan|tunl|kube-)/;

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

export function createNetworkFingerprinter(opts: { periodMs?: number } = {}): Fingerprinter<NetworkFacts> {
  return fingerprinter('network', opts.periodMs ?? 60_000, async () => {
    const list = await si.networkInterfaces();
    const interfaces = Array.isArray(list) ? list : [list];
    return { internalIPs: internalIPv4s(interfaces) };
  });
}
