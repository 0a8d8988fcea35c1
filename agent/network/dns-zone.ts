/**
 * The cluster DNS zone of a network set, as Kubernetes' DNS specification and CoreDNS's kubernetes
 * plugin answer it: a pure index built once per set, asked one question at a time.
 *
 *   <svc>.<ns>.svc.<domain>            A    the cluster IP; for a headless Service the ready endpoints
 *   <host>.<svc>.<ns>.svc.<domain>     A    each ready endpoint (host = its hostname, else its IP with dashes)
 *   _<port>._<proto>.<svc>.<ns>.svc.<domain>  SRV  each named port: the Service name and port, or for a
 *                                           headless Service each ready endpoint's name and target port
 *   <a-b-c-d>.<ns>.pod.<domain>        A    a.b.c.d (CoreDNS's `pods insecure`)
 *   <d.c.b.a>.in-addr.arpa             PTR  cluster IPs and ready endpoints, to the names above
 *
 * A name under the domain that does not exist is NXDOMAIN, one that exists without records of the type
 * asked is NOERROR with no answers (both with the zone's SOA, so resolvers cache the miss for its TTL).
 * Reverse names the zone does not know are not its own: they go upstream.
 */
import type { Answer, SrvData } from 'dns-packet';
import { isIPv4 } from 'node:net';
import type { NetworkSetMessage } from '../../protocol/messages.js';
import { takesNewConnections } from './service-proxy-ruleset.js';

/** Answers live 5 s, as CoreDNS's kubernetes plugin gives them. */
export const DNS_TTL = 5;

export type DnsZoneSet = Pick<NetworkSetMessage, 'clusterDomain' | 'services'> & { generation?: number };

export interface ZoneAnswer {
  rcode: 'NOERROR' | 'NXDOMAIN';
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
}

export interface DnsZone {
  readonly domain: string;
  /** Whether this zone answers the name (else it is forwarded). */
  owns(name: string): boolean;
  /** The answer for a question whose name the zone owns. */
  answer(name: string, type: string): ZoneAnswer;
}

interface NameRecords {
  a: string[];
  srv: SrvData[];
  ptr: string[];
}

/** Lower case, without the trailing dot. */
export function normalizeName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
}

const POD_NAME = /^(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\.[a-z0-9]([-a-z0-9]*[a-z0-9])?\.pod\./;

export function buildDnsZone(set: DnsZoneSet): DnsZone {
  const domain = normalizeName(set.clusterDomain);
  const records = new Map<string, NameRecords>();
  const existing = new Set<string>([domain, `svc.${domain}`, `pod.${domain}`]);
  const suffix = `.${domain}`;

  const entry = (name: string): NameRecords => {
    let r = records.get(name);
    if (!r) {
      r = { a: [], srv: [], ptr: [] };
      records.set(name, r);
      if (name.endsWith(suffix)) {
        // every name between this one and the domain exists (empty non-terminals answer NODATA)
        for (let n = name; n.length > domain.length; n = n.slice(n.indexOf('.') + 1)) existing.add(n);
      }
    }
    return r;
  };
  const addA = (name: string, ip: string) => {
    const r = entry(name);
    if (!r.a.includes(ip)) r.a.push(ip);
  };
  const addPtr = (ip: string, target: string) => {
    const r = entry(reverseName(ip));
    if (r.ptr.length === 0) r.ptr.push(target); // one name per address: the first Service to claim it
  };

  const services = [...set.services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  // cluster IPs first, so an address's PTR names its Service rather than an endpoint
  for (const s of services) if (s.clusterIP && isIPv4(s.clusterIP)) addPtr(s.clusterIP, `${s.name}.${s.namespace}.svc.${domain}`);
  for (const s of services) {
    const base = `${s.name}.${s.namespace}.svc.${domain}`.toLowerCase();
    const headless = s.clusterIP === undefined;
    const seen = new Set<string>();
    const ready = s.endpoints.filter((e) => takesNewConnections(e) && isIPv4(e.ip) && !seen.has(e.ip) && seen.add(e.ip));
    const endpointName = (e: { ip: string; hostname?: string }) => `${(e.hostname ?? e.ip.replace(/\./g, '-')).toLowerCase()}.${base}`;
    entry(base);
    if (!headless && isIPv4(s.clusterIP!)) addA(base, s.clusterIP!);
    for (const e of ready) {
      if (headless) addA(base, e.ip);
      addA(endpointName(e), e.ip);
      addPtr(e.ip, endpointName(e));
    }
    for (const p of s.ports) {
      if (!p.name) continue;
      const srv = entry(`_${p.name}._${p.protocol.toLowerCase()}.${base}`.toLowerCase()).srv;
      if (!headless) srv.push({ priority: 0, weight: 100, port: p.port, target: base });
      else {
        const weight = Math.max(1, Math.floor(100 / Math.max(1, ready.length)));
        for (const e of ready) srv.push({ priority: 0, weight, port: p.targetPort, target: endpointName(e) });
      }
    }
  }

  const soa: Answer = {
    name: domain,
    type: 'SOA',
    ttl: DNS_TTL,
    class: 'IN',
    data: {
      mname: `ns.dns.${domain}`,
      rname: `hostmaster.${domain}`,
      serial: (set.generation ?? 0) % 2 ** 32,
      refresh: 7200,
      retry: 1800,
      expire: 86_400,
      minimum: DNS_TTL,
    },
  };
  const miss = (rcode: ZoneAnswer['rcode']): ZoneAnswer => ({ rcode, answers: [], authorities: [soa], additionals: [] });

  const podRecord = (name: string): string | undefined => {
    if (!name.endsWith(`.pod${suffix}`)) return undefined;
    const m = POD_NAME.exec(name);
    if (!m || name.split('.').length !== domain.split('.').length + 3) return undefined;
    const ip = m.slice(1, 5).join('.');
    return isIPv4(ip) ? ip : undefined;
  };

  return {
    domain,
    owns(name) {
      const n = normalizeName(name);
      if (n === domain || n.endsWith(suffix)) return true;
      return n.endsWith('.in-addr.arpa') && records.has(n);
    },
    answer(asked, type) {
      const name = normalizeName(asked);
      const owner = asked.replace(/\.$/, '');
      const podIp = podRecord(name);
      const r = records.get(name) ?? (podIp ? { a: [podIp], srv: [], ptr: [] } : undefined);
      if (!r && !existing.has(name)) return miss('NXDOMAIN');
      const any = type === 'ANY';
      const answers: Answer[] = [];
      const additionals: Answer[] = [];
      if (r && (any || type === 'A')) for (const ip of r.a) answers.push({ name: owner, type: 'A', ttl: DNS_TTL, class: 'IN', data: ip });
      if (r && (any || type === 'SRV')) {
        for (const srv of r.srv) {
          answers.push({ name: owner, type: 'SRV', ttl: DNS_TTL, class: 'IN', data: srv });
          for (const ip of records.get(srv.target)?.a ?? []) additionals.push({ name: srv.target, type: 'A', ttl: DNS_TTL, class: 'IN', data: ip });
        }
      }
      if (r && (any || type === 'PTR')) for (const target of r.ptr) answers.push({ name: owner, type: 'PTR', ttl: DNS_TTL, class: 'IN', data: target });
      if (name === domain && (any || type === 'SOA')) answers.push({ ...soa, name: owner });
      if (answers.length === 0) return miss('NOERROR');
      return { rcode: 'NOERROR', answers, authorities: [], additionals };
    },
  };
}
