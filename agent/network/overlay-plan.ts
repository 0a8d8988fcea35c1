/**
 * What the VXLAN overlay should hold for a network set, as flannel's vxlan backend programs it, and how
 * that differs from what the kernel has. Per peer node with a known VTEP MAC:
 *   route      its pod CIDR via its VTEP address (the CIDR's .0) onlink on the VXLAN device
 *   neighbour  its VTEP address -> its VTEP MAC, permanent (no ARP over the overlay)
 *   fdb        its VTEP MAC -> its node IP (where the encapsulated packets go)
 * Pure: the plan and the diff; overlay.ts reads the kernel's state and runs the commands.
 */
import type { NetworkPeer } from '../../protocol/messages.js';
import { formatCidr, nthAddress, parseCidr, parseIpv4 } from './cidr.js';

export interface OverlayRoute {
  /** "10.42.2.0/24" */
  dst: string;
  /** The peer's VTEP address, "10.42.2.0". */
  via: string;
}
export interface OverlayNeighbour {
  ip: string;
  mac: string;
}
export interface OverlayFdbEntry {
  mac: string;
  /** The peer's node (underlay) IP. */
  dst: string;
}

export interface OverlayState {
  routes: OverlayRoute[];
  neighbours: OverlayNeighbour[];
  fdb: OverlayFdbEntry[];
}

export interface OverlayChanges {
  add: OverlayState;
  remove: OverlayState;
}

/** A VTEP MAC derived from its address, 0a:58 then the four bytes (as the protocol's example: 10.42.1.0 -> 0a:58:0a:2a:01:00). */
export function vtepMacFor(vtepIP: string): string {
  const n = parseIpv4(vtepIP);
  if (n === undefined) throw new Error(`${vtepIP} is not an IPv4 address`);
  const bytes = [0x0a, 0x58, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/** The overlay a node should have: one route, neighbour and fdb entry per other node with a pod CIDR, a node IP and a VTEP MAC. */
export function overlayPlan(peers: NetworkPeer[], self: { node: string; podCIDR?: string | undefined }): OverlayState {
  const plan: OverlayState = { routes: [], neighbours: [], fdb: [] };
  const own = self.podCIDR ? parseCidr(self.podCIDR) : undefined;
  const seen = new Set<string>();
  for (const p of [...peers].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0))) {
    if (p.node === self.node || !p.vtepMAC) continue;
    const cidr = parseCidr(p.podCIDR);
    if (!cidr || parseIpv4(p.nodeIP) === undefined) continue;
    const dst = formatCidr(cidr);
    if (seen.has(dst) || (own && formatCidr(own) === dst)) continue;
    seen.add(dst);
    const via = nthAddress(cidr, 0);
    const mac = p.vtepMAC.toLowerCase();
    plan.routes.push({ dst, via });
    plan.neighbours.push({ ip: via, mac });
    plan.fdb.push({ mac, dst: p.nodeIP });
  }
  return plan;
}

const routeKey = (r: OverlayRoute) => `${r.dst} ${r.via}`;
const neighKey = (n: OverlayNeighbour) => `${n.ip} ${n.mac}`;
const fdbKey = (f: OverlayFdbEntry) => `${f.mac} ${f.dst}`;

function diff<T>(want: T[], have: T[], key: (t: T) => string): { add: T[]; remove: T[] } {
  const wantKeys = new Set(want.map(key));
  const haveKeys = new Set(have.map(key));
  return { add: want.filter((w) => !haveKeys.has(key(w))), remove: have.filter((h) => !wantKeys.has(key(h))) };
}

/** What to add and remove to go from `current` to `desired`. */
export function overlayChanges(desired: OverlayState, current: OverlayState): OverlayChanges {
  const r = diff(desired.routes, current.routes, routeKey);
  const n = diff(desired.neighbours, current.neighbours, neighKey);
  const f = diff(desired.fdb, current.fdb, fdbKey);
  return { add: { routes: r.add, neighbours: n.add, fdb: f.add }, remove: { routes: r.remove, neighbours: n.remove, fdb: f.remove } };
}

/** `ip -j route show dev DEV` rows. */
export interface IpRouteRow {
  dst: string;
  gateway?: string;
  flags?: string[];
  protocol?: string;
}
/** `ip -j neigh show dev DEV` rows. */
export interface IpNeighRow {
  dst: string;
  lladdr?: string;
  state?: string[];
}
/** `bridge -j fdb show dev DEV` rows. */
export interface FdbRow {
  mac: string;
  dst?: string;
  flags?: string[];
  state?: string;
}

/** The kernel's overlay entries, from the three listings (entries the kernel made itself left out). */
export function parseOverlayState(routes: IpRouteRow[], neighs: IpNeighRow[], fdb: FdbRow[]): OverlayState {
  return {
    routes: routes.filter((r) => r.gateway && r.protocol !== 'kernel').map((r) => ({ dst: r.dst.includes('/') ? r.dst : `${r.dst}/32`, via: r.gateway! })),
    neighbours: neighs.filter((n) => n.lladdr && (n.state ?? []).includes('PERMANENT')).map((n) => ({ ip: n.dst, mac: n.lladdr!.toLowerCase() })),
    fdb: fdb.filter((f) => f.dst && f.mac !== '00:00:00:00:00:00').map((f) => ({ mac: f.mac.toLowerCase(), dst: f.dst! })),
  };
}
