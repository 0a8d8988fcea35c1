/**
 * The VXLAN overlay in the kernel, as flannel's vxlan backend makes it: one device (drover.1: VNI 1, UDP
 * 8472, learning off, local = the node's own address, on the underlay interface holding it), whose address
 * is the pod CIDR's .0/32 and whose MAC is derived from it (overlay-plan.ts vtepMacFor), its MTU the
 * overlay's; then per peer a route, a permanent neighbour and an fdb entry (overlay-plan.ts), entries for
 * peers that left removed. Everything through `ip`/`bridge` with argument arrays, idempotent: a second
 * apply of the same set changes nothing.
 */
import type { Logger } from '../../protocol/logger.js';
import type { NetworkPeer } from '../../protocol/messages.js';
import { nthAddress, parseCidr } from './cidr.js';
import type { NetCommands } from './net-commands.js';
import { overlayChanges, overlayPlan, parseOverlayState, vtepMacFor, type FdbRow, type IpNeighRow, type IpRouteRow, type OverlayState } from './overlay-plan.js';

export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
/** What VXLAN adds to each packet: outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD = 50;

export interface OverlayConfig {
  node: string;
  podCIDR: string;
  /** The node's own underlay address (VXLAN's local) and the interface holding it. */
  localIP: string;
  underlayDevice: string;
  mtu: number;
  peers: NetworkPeer[];
}

export interface Overlay {
  /** Make the device right and program the peers; returns the device's MAC (the VTEP MAC the node reports). */
  apply(config: OverlayConfig): Promise<string>;
  /** What the kernel holds now (tests, logs). */
  state(): Promise<OverlayState>;
  /** Remove the device (and with it its routes, neighbours and fdb entries). */
  remove(): Promise<void>;
}

interface LinkRow {
  ifname: string;
  mtu: number;
  address?: string;
  flags?: string[];
  linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string; link?: string; port?: number; learning?: boolean } };
}
interface AddrRow {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

export function createOverlay(opts: { commands: NetCommands; device: string; logger: Logger }): Overlay {
  const { commands: cmd, device } = opts;
  const log = opts.logger.child({ component: 'overlay', device });

  async function link(): Promise<LinkRow | undefined> {
    const r = await cmd.run('ip', ['-j', '-d', 'link', 'show', 'dev', device]);
    if (r.exitCode !== 0) return undefined;
    return (JSON.parse(r.stdout) as LinkRow[])[0];
  }

  async function ensureDevice(c: OverlayConfig, mac: string): Promise<void> {
    const have = await link();
    const d = have?.linkinfo?.info_data;
    const right =
      have?.linkinfo?.info_kind === 'vxlan' &&
      d?.id === VXLAN_VNI &&
      d.local === c.localIP &&
      d.port === VXLAN_PORT &&
      d.learning === false &&
      d.link === c.underlayDevice &&
      have.address === mac;
    if (have && !right) {
      log.info({ had: { kind: have.linkinfo?.info_kind, ...d, address: have.address }, want: { local: c.localIP, dev: c.underlayDevice, mac } }, 'VXLAN device differs: re-creating it');
      await cmd.change('ip', ['link', 'del', 'dev', device]);
    }
    if (!have || !right) {
      await cmd.change('ip', [
        'link', 'add', device, 'address', mac, 'type', 'vxlan', 'id', String(VXLAN_VNI), 'local', c.localIP,
        'dev', c.underlayDevice, 'dstport', String(VXLAN_PORT), 'nolearning',
      ]);
    }
    const now = (await link())!;
    if (now.mtu !== c.mtu) await cmd.change('ip', ['link', 'set', 'dev', device, 'mtu', String(c.mtu)]);
    if (!(now.flags ?? []).includes('UP')) await cmd.change('ip', ['link', 'set', 'dev', device, 'up']);
  }

  async function ensureAddress(vtepIP: string): Promise<void> {
    const rows = await cmd.json<AddrRow[]>('ip', ['-j', 'addr', 'show', 'dev', device]);
    const v4 = (rows[0]?.addr_info ?? []).filter((a) => a.family === 'inet');
    for (const a of v4) {
      if (a.local !== vtepIP || a.prefixlen !== 32) await cmd.change('ip', ['addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', device]);
    }
    if (!v4.some((a) => a.local === vtepIP && a.prefixlen === 32)) await cmd.change('ip', ['addr', 'add', `${vtepIP}/32`, 'dev', device]);
  }

  async function state(): Promise<OverlayState> {
    const [routes, neighs, fdb] = await Promise.all([
      cmd.json<IpRouteRow[]>('ip', ['-j', 'route', 'show', 'dev', device]),
      cmd.json<IpNeighRow[]>('ip', ['-j', 'neigh', 'show', 'dev', device]),
      cmd.json<FdbRow[]>('bridge', ['-j', 'fdb', 'show', 'dev', device]),
    ]);
    return parseOverlayState(routes, neighs, fdb);
  }

  return {
    async apply(c) {
      const cidr = parseCidr(c.podCIDR);
      if (!cidr) throw new Error(`pod CIDR ${c.podCIDR} is not an IPv4 CIDR`);
      const vtepIP = nthAddress(cidr, 0);
      const mac = vtepMacFor(vtepIP);
      await ensureDevice(c, mac);
      await ensureAddress(vtepIP);
      const changes = overlayChanges(overlayPlan(c.peers, { node: c.node, podCIDR: c.podCIDR }), await state());
      // removals first (a peer whose CIDR moved to another node), then the new entries: fdb and neighbour before the route that needs them
      for (const r of changes.remove.routes) await cmd.change('ip', ['route', 'del', r.dst, 'via', r.via, 'dev', device]);
      for (const n of changes.remove.neighbours) await cmd.change('ip', ['neigh', 'del', n.ip, 'dev', device]);
      for (const f of changes.remove.fdb) await cmd.change('bridge', ['fdb', 'del', f.mac, 'dev', device, 'dst', f.dst, 'self']);
      for (const f of changes.add.fdb) await cmd.change('bridge', ['fdb', 'replace', f.mac, 'dev', device, 'dst', f.dst, 'self', 'permanent']);
      for (const n of changes.add.neighbours) await cmd.change('ip', ['neigh', 'replace', n.ip, 'lladdr', n.mac, 'dev', device, 'nud', 'permanent']);
      for (const r of changes.add.routes) await cmd.change('ip', ['route', 'replace', r.dst, 'via', r.via, 'dev', device, 'onlink']);
      const changed = Object.values(changes.add).some((l) => l.length > 0) || Object.values(changes.remove).some((l) => l.length > 0);
      if (changed) {
        log.info({ added: changes.add.routes.map((r) => r.dst), removed: changes.remove.routes.map((r) => r.dst) }, 'overlay peers programmed');
      }
      return mac;
    },
    state,
    async remove() {
      if (await link()) await cmd.change('ip', ['link', 'del', 'dev', device]);
    },
  };
}

/** The interface holding `localIP` and its MTU (the underlay the overlay rides on). */
export async function underlayOf(cmd: NetCommands, localIP: string): Promise<{ device: string; mtu: number } | undefined> {
  const addrs = await cmd.json<AddrRow[]>('ip', ['-j', 'addr', 'show']);
  const holder = addrs.find((r) => (r.addr_info ?? []).some((a) => a.family === 'inet' && a.local === localIP));
  if (!holder) return undefined;
  const links = await cmd.json<LinkRow[]>('ip', ['-j', 'link', 'show', 'dev', holder.ifname]);
  const mtu = links[0]?.mtu;
  return mtu === undefined ? undefined : { device: holder.ifname, mtu };
}
