/**
 * The service proxy's nftables ruleset for one network set, as text for `nft -f -`: a pure function,
 * so the exact rules for a set are tested without a kernel. The chain design follows kube-proxy's
 * nftables mode (maps from address/protocol/port to a per-Service-port chain, `numgen random` over
 * per-endpoint chains, affinity sets with timeouts keyed by the client's address, a masquerade mark);
 * agent/network/SERVICES.md draws it.
 *
 * Names: a chain or set per Service port (`svc-`, `ext-` for its NodePort) and per endpoint (`ep-`,
 * `aff-`) is named `<kind>-<hash>-<ns>/<name>/<proto>/<port>[__<ip>/<targetPort>]`: the hash (of the
 * whole identity) keeps names unique when the readable part is cut short, the readable part makes
 * `nft list table ip drover` legible. The same set always renders the same text.
 */
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import type { NetworkService, NetworkServicePort, NetworkSetMessage } from '../../protocol/messages.js';

/** Kubernetes' default for sessionAffinityConfig.clientIP.timeoutSeconds (3 hours). */
export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;
/** The packet mark bit that asks the postrouting chain to masquerade (kube-proxy's bit). */
export const DEFAULT_MASQUERADE_MARK = 0x4000;
export const DEFAULT_TABLE = 'drover';

/**
 * Prefix of the (empty, unreferenced) chain whose name records which ruleset the table holds:
 * `ruleset-<hash>`. A chain's name, because nft lists chain names cheaply (`list chains`) while listing
 * rules means listing the whole table (a second for a thousand Services).
 */
export const RULESET_MARKER = 'ruleset-';

export interface ServiceRulesetOptions {
  /** The nftables table (family ip), `drover` by default. */
  table?: string;
  masqueradeMark?: number;
}

/** What the proxy needs of a network set. */
export type ServiceProxySet = Pick<NetworkSetMessage, 'clusterCIDR' | 'serviceCIDR' | 'services'>;

export interface ServiceRuleset {
  table: string;
  /** `table ip <table> { ... }`: every chain, map and set of the table with its content. */
  text: string;
  /** sha256 of the text (16 hex digits), also written into the table as the marker chain's name. */
  hash: string;
  chains: string[];
  maps: string[];
  /** Sets with fixed elements, replaced on every change. */
  sets: string[];
  /** Affinity sets: elements added by packets, kept across changes while their endpoint stays. */
  affinitySets: string[];
  /** Service ports served (with ready endpoints) and rejected (none ready). */
  served: number;
  rejected: number;
  /** Services or ports left out, with why (headless Services are not listed: DNS serves them). */
  skipped: string[];
  /** The UDP Service ports served and their endpoints (for clearing conntrack entries of endpoints that go). */
  udp: UdpBackend[];
}

export interface UdpBackend {
  clusterIP: string;
  port: number;
  nodePort?: number;
  endpoints: string[];
}

interface PortPlan {
  service: NetworkService;
  port: NetworkServicePort;
  id: string;
  proto: 'tcp' | 'udp';
  svcChain: string;
  extChain?: string;
  endpoints: { ip: string; chain: string; affinitySet?: string }[];
}

const STATIC_CHAINS = [
  'prerouting',
  'output',
  'postrouting',
  'filter-prerouting',
  'filter-output',
  'services',
  'reject-unserved',
  'reject-connection',
  'mark-for-masquerade',
  'masquerading',
] as const;
const MAP_SERVICE_IPS = 'service-ips';
const MAP_SERVICE_NODEPORTS = 'service-nodeports';
const SET_NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
const MAX_NAME = 200;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

/**
 * `<kind>-<hash>-<readable>`, at most MAX_NAME characters (nftables allows 256). The hash is of the
 * identity (unique: the Service, protocol and port number), the readable part names the port by name.
 */
function objectName(kind: string, identity: string, readable: string): string {
  return `${kind}-${shortHash(`${kind}:${identity}`)}-${readable.replace(/[^a-zA-Z0-9/_.-]/g, '_')}`.slice(0, MAX_NAME);
}

/** True for a ready endpoint that is not terminating: only those take new connections. */
export function takesNewConnections(endpoint: { ready: boolean; terminating?: boolean }): boolean {
  return endpoint.ready && !endpoint.terminating;
}

function plan(set: ServiceProxySet): { ports: PortPlan[]; skipped: string[] } {
  const ports: PortPlan[] = [];
  const skipped: string[] = [];
  const seenIps = new Set<string>();
  const seenNodePorts = new Set<string>();
  const services = [...set.services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const service of services) {
    const key = `${service.namespace}/${service.name}`;
    if (service.clusterIP === undefined) continue; // headless: DNS answers with the endpoints
    if (!isIPv4(service.clusterIP)) {
      skipped.push(`${key}: cluster IP ${service.clusterIP} is not IPv4`);
      continue;
    }
    const affinity = service.sessionAffinity === 'ClientIP';
    const timeout = service.affinityTimeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS;
    for (const port of service.ports) {
      const proto = port.protocol === 'UDP' ? 'udp' : 'tcp';
      const portKey = `${key}/${proto}/${port.name || port.port}`;
      const portId = `${key}/${proto}/${port.port}`;
      const ipKey = `${service.clusterIP}/${proto}/${port.port}`;
      if (seenIps.has(ipKey)) {
        skipped.push(`${portKey}: ${service.clusterIP}:${port.port}/${port.protocol} is already served by another Service`);
        continue;
      }
      seenIps.add(ipKey);
      let nodePort = port.nodePort;
      if (nodePort !== undefined && service.type !== 'ClusterIP') {
        const npKey = `${proto}/${nodePort}`;
        if (seenNodePorts.has(npKey)) {
          skipped.push(`${portKey}: nodePort ${nodePort}/${port.protocol} is already served by another Service`);
          nodePort = undefined;
        } else seenNodePorts.add(npKey);
      } else nodePort = undefined;
      const ips = [...new Set(service.endpoints.filter(takesNewConnections).map((e) => e.ip))].filter((ip) => {
        if (isIPv4(ip)) return true;
        skipped.push(`${portKey}: endpoint ${ip} is not IPv4`);
        return false;
      });
      ips.sort(compareIPv4);
      ports.push({
        service,
        port: { ...port, ...(nodePort === undefined ? { nodePort: undefined } : { nodePort }) },
        id: portKey,
        proto,
        svcChain: objectName('svc', portId, portKey),
        ...(nodePort !== undefined ? { extChain: objectName('ext', portId, portKey) } : {}),
        endpoints: ips.map((ip) => {
          const epKey = `${portKey}__${ip}/${port.targetPort}`;
          const epId = `${portId}__${ip}/${port.targetPort}`;
          return {
            ip,
            chain: objectName('ep', epId, epKey),
            ...(affinity ? { affinitySet: objectName('aff', `${epId}/${timeout}`, `${epKey}/${timeout}`) } : {}),
          };
        }),
      });
    }
  }
  return { ports, skipped };
}

function compareIPv4(a: string, b: string): number {
  const n = (ip: string) => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  return n(a) - n(b);
}

function hex(mark: number): string {
  return `0x${mark.toString(16).padStart(8, '0')}`;
}

/** The whole table for a network set. */
export function renderServiceRuleset(set: ServiceProxySet, options: ServiceRulesetOptions = {}): ServiceRuleset {
  const table = options.table ?? DEFAULT_TABLE;
  const mark = hex(options.masqueradeMark ?? DEFAULT_MASQUERADE_MARK);
  const { ports, skipped } = plan(set);
  const served = ports.filter((p) => p.endpoints.length > 0);
  const rejected = ports.filter((p) => p.endpoints.length === 0);

  const out: string[] = [];
  const line = (depth: number, text: string) => out.push(`${'\t'.repeat(depth)}${text}`);
  const chain = (name: string, rules: string[], base?: string) => {
    line(1, `chain ${name} {`);
    if (base) line(2, base);
    for (const r of rules) line(2, r);
    line(1, '}');
  };
  const elements = (items: string[]) => (items.length === 0 ? [] : [`elements = { ${items.join(',\n\t\t\t     ')} }`]);

  line(0, `table ip ${table} {`);

  // maps: where a packet for a Service goes
  const serviceIps = served.map((p) => `${p.service.clusterIP} . ${p.proto} . ${p.port.port} : goto ${p.svcChain}`);
  line(1, `map ${MAP_SERVICE_IPS} {`);
  line(2, 'type ipv4_addr . inet_proto . inet_service : verdict');
  for (const e of elements(serviceIps)) line(2, e);
  line(1, '}');
  const nodePorts = served.filter((p) => p.extChain).map((p) => `${p.proto} . ${p.port.nodePort} : goto ${p.extChain}`);
  line(1, `map ${MAP_SERVICE_NODEPORTS} {`);
  line(2, 'type inet_proto . inet_service : verdict');
  for (const e of elements(nodePorts)) line(2, e);
  line(1, '}');
  const deadNodePorts = rejected.filter((p) => p.port.nodePort !== undefined).map((p) => `${p.proto} . ${p.port.nodePort}`);
  line(1, `set ${SET_NO_ENDPOINT_NODEPORTS} {`);
  line(2, 'type inet_proto . inet_service');
  for (const e of elements(deadNodePorts)) line(2, e);
  line(1, '}');

  // affinity sets: the client addresses each endpoint has, with their timeout
  const affinitySets: string[] = [];
  for (const p of served) {
    const timeout = p.service.affinityTimeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS;
    for (const ep of p.endpoints) {
      if (!ep.affinitySet) continue;
      affinitySets.push(ep.affinitySet);
      line(1, `set ${ep.affinitySet} {`);
      line(2, 'type ipv4_addr');
      line(2, 'flags dynamic,timeout');
      line(2, `timeout ${timeout}s`);
      line(1, '}');
    }
  }

  // base chains: DNAT for pods (prerouting) and the node itself (output) at dstnat (-100), masquerade
  // on the way out at srcnat (100), and just after DNAT (-90) the refusal of whatever was not served
  chain('prerouting', ['jump services'], 'type nat hook prerouting priority -100; policy accept;');
  chain('output', ['jump services'], 'type nat hook output priority -100; policy accept;');
  chain('postrouting', ['jump masquerading'], 'type nat hook postrouting priority 100; policy accept;');
  chain('filter-prerouting', ['jump reject-unserved'], 'type filter hook prerouting priority -90; policy accept;');
  chain('filter-output', ['jump reject-unserved'], 'type filter hook output priority -90; policy accept;');

  chain('services', [
    `ip daddr . meta l4proto . th dport vmap @${MAP_SERVICE_IPS}`,
    `fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @${MAP_SERVICE_NODEPORTS}`,
  ]);
  // a packet still addressed to the service CIDR after DNAT found no endpoint (none ready, a port the
  // Service does not have, an address no Service has): refused at once, never left to time out
  chain('reject-unserved', [
    `ip daddr ${set.serviceCIDR} jump reject-connection`,
    `fib daddr type local meta l4proto . th dport @${SET_NO_ENDPOINT_NODEPORTS} jump reject-connection`,
  ]);
  chain('reject-connection', ['meta l4proto tcp reject with tcp reset', 'reject with icmp type port-unreachable']);
  chain('mark-for-masquerade', [`meta mark set meta mark or ${mark}`]);
  chain('masquerading', [`meta mark and ${mark} == 0 return`, `meta mark set meta mark xor ${mark}`, 'masquerade fully-random']);

  for (const p of served) {
    const rules = [`ip saddr != ${set.clusterCIDR} jump mark-for-masquerade`];
    for (const ep of p.endpoints) if (ep.affinitySet) rules.push(`ip saddr @${ep.affinitySet} goto ${ep.chain}`);
    if (p.endpoints.length === 1) rules.push(`goto ${p.endpoints[0]!.chain}`);
    else rules.push(`numgen random mod ${p.endpoints.length} vmap { ${p.endpoints.map((ep, i) => `${i} : goto ${ep.chain}`).join(', ')} }`);
    chain(p.svcChain, rules);
    if (p.extChain) chain(p.extChain, ['jump mark-for-masquerade', `goto ${p.svcChain}`]);
    for (const ep of p.endpoints) {
      chain(ep.chain, [
        // hairpin: a pod that reaches itself through the Service must see the reply come from elsewhere
        `ip saddr ${ep.ip} jump mark-for-masquerade`,
        ...(ep.affinitySet ? [`update @${ep.affinitySet} { ip saddr }`] : []),
        `meta l4proto ${p.proto} dnat to ${ep.ip}:${p.port.targetPort}`,
      ]);
    }
  }

  const hash = createHash('sha256').update(out.join('\n')).digest('hex').slice(0, 16);
  const marker = `${RULESET_MARKER}${hash}`;
  chain(marker, []);
  line(0, '}');
  const chains = [...STATIC_CHAINS, ...served.flatMap((p) => [p.svcChain, ...(p.extChain ? [p.extChain] : []), ...p.endpoints.map((e) => e.chain)]), marker];
  return {
    table,
    text: `${out.join('\n')}\n`,
    hash,
    chains,
    maps: [MAP_SERVICE_IPS, MAP_SERVICE_NODEPORTS],
    sets: [SET_NO_ENDPOINT_NODEPORTS],
    affinitySets,
    served: served.length,
    rejected: rejected.length,
    skipped,
    udp: served
      .filter((p) => p.proto === 'udp')
      .map((p) => ({
        clusterIP: p.service.clusterIP!,
        port: p.port.port,
        ...(p.port.nodePort !== undefined ? { nodePort: p.port.nodePort } : {}),
        endpoints: p.endpoints.map((e) => e.ip),
      })),
  };
}

/** What the table holds now, from `nft -j list table` (see service-proxy.ts). */
export interface TableContents {
  chains: string[];
  maps: string[];
  sets: string[];
  /** The hash in the marker chain's name, if any. */
  hash?: string;
}

/**
 * The transaction that turns the table's current contents into the ruleset, in one `nft -f -`: every
 * existing chain, map and fixed set flushed, the ones the ruleset no longer has deleted, then the
 * ruleset added. Affinity sets of endpoints that remain are neither flushed nor deleted, so clients
 * keep their endpoint across changes; conntrack keeps established flows whatever the rules become.
 */
export function renderTransaction(ruleset: ServiceRuleset, current: TableContents | undefined): string {
  const t = `ip ${ruleset.table}`;
  const lines = [`add table ${t}`];
  if (current) {
    const keepChains = new Set(ruleset.chains);
    const keepMaps = new Set(ruleset.maps);
    const keepSets = new Set([...ruleset.sets, ...ruleset.affinitySets]);
    const affinity = new Set(ruleset.affinitySets);
    for (const c of current.chains) lines.push(`flush chain ${t} ${c}`);
    for (const m of current.maps) lines.push(`flush map ${t} ${m}`);
    for (const s of current.sets) if (!affinity.has(s)) lines.push(`flush set ${t} ${s}`);
    for (const c of current.chains) if (!keepChains.has(c)) lines.push(`delete chain ${t} ${c}`);
    for (const m of current.maps) if (!keepMaps.has(m)) lines.push(`delete map ${t} ${m}`);
    for (const s of current.sets) if (!keepSets.has(s)) lines.push(`delete set ${t} ${s}`);
  }
  return `${lines.join('\n')}\n${ruleset.text}`;
}

/** The whole table replaced (`add; delete; define`): the fallback when the incremental transaction fails. */
export function renderReplacement(ruleset: ServiceRuleset): string {
  const t = `ip ${ruleset.table}`;
  return `add table ${t}\ndelete table ${t}\n${ruleset.text}`;
}
