/**
 * A pod's /etc/resolv.conf, as the kubelet makes it (pkg/kubelet/network/dns): by dnsPolicy
 *   ClusterFirst (default): the node's cluster DNS (its bridge address), search <ns>.svc.<domain> svc.<domain>
 *     <domain> then the node's own search domains, options ndots:5; a hostNetwork pod falls back to Default;
 *   ClusterFirstWithHostNet: the same, for hostNetwork pods too;
 *   Default: the node's own resolv.conf;
 *   None: only spec.dnsConfig;
 * then spec.dnsConfig merged over it (nameservers and searches appended, options by name). Limits as the
 * kubelet's: 3 nameservers, 32 search domains. Pure, but for reading the node's own file.
 */
import { readFile } from 'node:fs/promises';
import type { Pod } from '../../protocol/objects/pod.js';

export interface DnsSettings {
  nameservers: string[];
  searches: string[];
  /** "ndots:5", "edns0", ... */
  options: string[];
}

export interface ClusterDns {
  /** The node's cluster DNS address (its bridge address); undefined while the node has no pod network. */
  server: string | undefined;
  /** cluster.local */
  domain: string;
}

export const MAX_NAMESERVERS = 3;
export const MAX_SEARCHES = 32;

/**
 * What the pod's containers resolve with. `undefined`: the runtime's own choice for a host-network pod
 * (the node's resolv.conf, as ctr --net-host and docker --network host give), nothing to mount.
 */
export function podDnsSettings(pod: Pod, cluster: ClusterDns, node: DnsSettings): DnsSettings | undefined {
  const hostNetwork = pod.spec.hostNetwork ?? false;
  const policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  const namespace = pod.metadata.namespace ?? 'default';
  let base: DnsSettings | undefined;
  const clusterFirst = policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !hostNetwork);
  if (policy === 'None') {
    base = { nameservers: [], searches: [], options: [] };
  } else if (clusterFirst && cluster.server) {
    const d = cluster.domain;
    base = {
      nameservers: [cluster.server],
      searches: [`${namespace}.svc.${d}`, `svc.${d}`, d, ...node.searches],
      options: ['ndots:5'],
    };
  } else if (!hostNetwork) {
    base = { nameservers: [...node.nameservers], searches: [...node.searches], options: [...node.options] };
  }
  const extra = pod.spec.dnsConfig;
  if (!extra) return base && limited(base);
  const merged = base ?? { nameservers: [...node.nameservers], searches: [...node.searches], options: [...node.options] };
  return limited({
    nameservers: unique([...merged.nameservers, ...(extra.nameservers ?? [])]),
    searches: unique([...merged.searches, ...(extra.searches ?? [])]),
    options: mergeOptions(merged.options, (extra.options ?? []).map((o) => (o.value === undefined ? o.name : `${o.name}:${o.value}`))),
  });
}

function unique(list: string[]): string[] {
  return [...new Set(list)];
}

/** Options by name, later ones winning ("ndots:5" then "ndots:2" -> "ndots:2"), in first-seen order. */
function mergeOptions(base: string[], extra: string[]): string[] {
  const byName = new Map<string, string>();
  for (const o of [...base, ...extra]) byName.set(o.split(':')[0]!, o);
  return [...byName.values()];
}

function limited(s: DnsSettings): DnsSettings {
  return { nameservers: s.nameservers.slice(0, MAX_NAMESERVERS), searches: s.searches.slice(0, MAX_SEARCHES), options: s.options };
}

export function parseResolvConf(text: string): DnsSettings {
  const out: DnsSettings = { nameservers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0]) out.nameservers.push(values[0]);
    else if (key === 'search' || key === 'domain') out.searches = values; // the last one wins, as in the resolver
    else if (key === 'options') out.options.push(...values);
  }
  return out;
}

export function renderResolvConf(s: DnsSettings): string {
  const lines = s.nameservers.map((n) => `nameserver ${n}`);
  if (s.searches.length > 0) lines.push(`search ${s.searches.join(' ')}`);
  if (s.options.length > 0) lines.push(`options ${s.options.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

const LOOPBACK = /^(127\.|::1$)/;

/**
 * The node's own resolver settings, for Default: /etc/resolv.conf, or systemd-resolved's upstream file when
 * /etc/resolv.conf names only a loopback stub (127.0.0.53), which a pod in its own namespace cannot reach.
 */
export async function readNodeDns(paths = { etc: '/etc/resolv.conf', resolved: '/run/systemd/resolve/resolv.conf' }): Promise<DnsSettings> {
  const read = async (p: string): Promise<DnsSettings | undefined> => {
    try {
      return parseResolvConf(await readFile(p, 'utf8'));
    } catch {
      return undefined;
    }
  };
  const etc = (await read(paths.etc)) ?? { nameservers: [], searches: [], options: [] };
  const usable = etc.nameservers.filter((n) => !LOOPBACK.test(n));
  if (usable.length > 0 || etc.nameservers.length === 0) return { ...etc, nameservers: usable };
  const resolved = await read(paths.resolved);
  return resolved ?? { ...etc, nameservers: [] };
}
