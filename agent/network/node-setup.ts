/**
 * The node's side of the pod network, beside the overlay: the pod bridge (containerd: made here with the
 * pod CIDR's .1, so cluster DNS can bind there before the first pod; the CNI bridge plugin then finds it),
 * masquerading of pod traffic that leaves the cluster CIDR (nftables, one table of Drover's own, replaced
 * whole with `nft -f -`), and, where Docker's iptables rules drop forwarded traffic by default, accepting
 * the cluster CIDR in its DOCKER-USER chain (as flannel accepts it in FORWARD). Idempotent.
 */
import type { Logger } from '../../protocol/logger.js';
import { nthAddress, parseCidr } from './cidr.js';
import type { NetCommands } from './net-commands.js';

interface LinkRow {
  ifname: string;
  mtu: number;
  flags?: string[];
  linkinfo?: { info_kind?: string };
}
interface AddrRow {
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** The pod bridge with the pod CIDR's .1 as its only IPv4 address, up, with the overlay's MTU. */
export async function ensurePodBridge(cmd: NetCommands, name: string, podCIDR: string, mtu: number, log: Logger): Promise<void> {
  const cidr = parseCidr(podCIDR);
  if (!cidr) throw new Error(`pod CIDR ${podCIDR} is not an IPv4 CIDR`);
  const gateway = nthAddress(cidr, 1);
  const r = await cmd.run('ip', ['-j', '-d', 'link', 'show', 'dev', name]);
  let link = r.exitCode === 0 ? (JSON.parse(r.stdout) as LinkRow[])[0] : undefined;
  if (link && link.linkinfo?.info_kind !== 'bridge') throw new Error(`${name} exists and is not a bridge (${link.linkinfo?.info_kind ?? 'unknown kind'})`);
  if (!link) {
    await cmd.change('ip', ['link', 'add', name, 'type', 'bridge']);
    link = (await cmd.json<LinkRow[]>('ip', ['-j', 'link', 'show', 'dev', name]))[0]!;
    log.info({ bridge: name }, 'made the pod bridge');
  }
  if (link.mtu !== mtu) await cmd.change('ip', ['link', 'set', 'dev', name, 'mtu', String(mtu)]);
  const v4 = ((await cmd.json<AddrRow[]>('ip', ['-j', 'addr', 'show', 'dev', name]))[0]?.addr_info ?? []).filter((a) => a.family === 'inet');
  for (const a of v4) {
    if (a.local !== gateway || a.prefixlen !== cidr.prefix) await cmd.change('ip', ['addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', name]);
  }
  if (!v4.some((a) => a.local === gateway && a.prefixlen === cidr.prefix)) {
    await cmd.change('ip', ['addr', 'add', `${gateway}/${cidr.prefix}`, 'dev', name]);
  }
  if (!(link.flags ?? []).includes('UP')) await cmd.change('ip', ['link', 'set', 'dev', name, 'up']);
}

/** Routing between the pod bridge, the overlay and the LAN: net.ipv4.ip_forward=1 (CNI's bridge sets it too, Docker as well). */
export async function ensureIpForward(cmd: NetCommands): Promise<void> {
  if ((await cmd.read('sysctl', ['-n', 'net.ipv4.ip_forward'])).trim() !== '1') await cmd.change('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
}

interface BridgePortRow {
  ifname: string;
  master?: string;
  hairpin?: boolean;
}

/**
 * Every port of the pod bridge in hairpin mode, so that a pod whose Service connection is DNATed to itself
 * gets its packets back out of the port they came in on (CNI's bridge does it with hairpinMode; dockerd only
 * with --userland-proxy=false).
 */
export async function ensureHairpin(cmd: NetCommands, bridge: string): Promise<void> {
  const ports = await cmd.json<BridgePortRow[]>('bridge', ['-j', '-d', 'link', 'show']);
  for (const p of ports) {
    if (p.master === bridge && p.hairpin !== true) await cmd.change('bridge', ['link', 'set', 'dev', p.ifname, 'hairpin', 'on']);
  }
}

/** The nftables script of Drover's pod network table: masquerade what leaves the cluster CIDR from this node's pods. Pure. */
export function masqueradeScript(table: string, podCIDR: string, clusterCIDR: string): string {
  return [
    // declare, delete, declare again: one transaction that replaces the table whole, whether or not it existed
    `table ip ${table}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${podCIDR} ip daddr != ${clusterCIDR} ip daddr != 224.0.0.0/4 masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export async function ensureMasquerade(cmd: NetCommands, table: string, podCIDR: string, clusterCIDR: string): Promise<void> {
  const want = masqueradeScript(table, podCIDR, clusterCIDR);
  const have = await cmd.run('nft', ['list', 'table', 'ip', table]);
  const rule = `ip saddr ${podCIDR} ip daddr != ${clusterCIDR} ip daddr != 224.0.0.0/4 masquerade`;
  if (have.exitCode === 0 && have.stdout.includes(rule) && have.stdout.split('\n').filter((l) => l.includes('masquerade')).length === 1) return;
  await cmd.change('nft', ['-f', '-'], want);
}

export async function removeMasquerade(cmd: NetCommands, table: string): Promise<void> {
  const have = await cmd.run('nft', ['list', 'table', 'ip', table]);
  if (have.exitCode === 0) await cmd.change('nft', ['delete', 'table', 'ip', table]);
}

/**
 * Docker sets the FORWARD policy to drop and lets through only what its own networks need; pod traffic
 * routed in from the overlay would be dropped. Docker's own advice: rules in DOCKER-USER. Nothing to do
 * where that chain does not exist (no Docker on this node).
 */
export async function ensureDockerForward(cmd: NetCommands, clusterCIDR: string): Promise<void> {
  const chain = await cmd.run('iptables', ['-w', '-S', 'DOCKER-USER']).catch(() => undefined);
  if (!chain || chain.exitCode !== 0) return;
  for (const dir of ['-s', '-d']) {
    const rule = [dir, clusterCIDR, '-m', 'comment', '--comment', 'drover pod network', '-j', 'ACCEPT'];
    const present = await cmd.run('iptables', ['-w', '-C', 'DOCKER-USER', ...rule]);
    if (present.exitCode !== 0) await cmd.change('iptables', ['-w', '-I', 'DOCKER-USER', '1', ...rule]);
  }
}

/** Undo ensureDockerForward (a node leaving the pod network, tests). */
export async function removeDockerForward(cmd: NetCommands, clusterCIDR: string): Promise<void> {
  for (const dir of ['-s', '-d']) {
    const rule = [dir, clusterCIDR, '-m', 'comment', '--comment', 'drover pod network', '-j', 'ACCEPT'];
    const present = await cmd.run('iptables', ['-w', '-C', 'DOCKER-USER', ...rule]).catch(() => undefined);
    if (present?.exitCode === 0) await cmd.change('iptables', ['-w', '-D', 'DOCKER-USER', ...rule]);
  }
}
