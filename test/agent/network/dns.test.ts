/**
 * Cluster DNS: the zone of a network set (pure), and the server answering real dns-packet queries over
 * UDP and TCP on 127.0.0.1, forwarding what is not the cluster's to a tiny upstream on 127.0.0.2.
 */
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsListenError } from '../../../agent/errors.js';
import { parseUpstream } from '../../../agent/network/dns-forwarder.js';
import { parseResolvConf, readNodeResolvers } from '../../../agent/network/dns-resolv-conf.js';
import { createClusterDns, type ClusterDns } from '../../../agent/network/dns-server.js';
import { buildDnsZone, DNS_TTL } from '../../../agent/network/dns-zone.js';
import { silentLogger } from '../../../protocol/logger.js';
import { tempDir } from '../helpers.js';
import { data, query, queryPacket, startUpstream, tcpRaw, udpRaw, type Upstream } from './dns-client.js';
import { endpoint, networkSet, service } from './fixtures.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';

const api = service('api', {
  clusterIP: '10.43.0.10',
  ports: [
    { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
    { name: 'metrics', protocol: 'UDP', port: 9125, targetPort: 9125 },
    { protocol: 'TCP', port: 8443, targetPort: 8443 },
  ],
  endpoints: [endpoint('10.42.0.3', { hostname: 'api-0' }), endpoint('10.42.1.4'), endpoint('10.42.0.9', { ready: false })],
});
const db = service('db', {
  namespace: 'shop',
  clusterIP: undefined,
  ports: [{ name: 'pg', protocol: 'TCP', port: 5432, targetPort: 15432 }],
  endpoints: [
    endpoint('10.42.0.5', { hostname: 'db-0' }),
    endpoint('10.42.1.6', { hostname: 'db-1' }),
    endpoint('10.42.1.7', { hostname: 'db-2', ready: false, terminating: true }),
  ],
});
const emptyHeadless = service('nobody', { clusterIP: undefined, endpoints: [] });
const set = networkSet([api, db, emptyHeadless]);

describe('buildDnsZone', () => {
  const zone = buildDnsZone(set);
  const a = (name: string) => zone.answer(name, 'A').answers.map((x) => x.type === 'A' && x.data);

  it('owns the cluster domain and the reverse names it knows, nothing else', () => {
    expect(zone.owns('api.default.svc.cluster.local')).toBe(true);
    expect(zone.owns('cluster.local.')).toBe(true);
    expect(zone.owns('nothing.cluster.local')).toBe(true);
    expect(zone.owns('example.com')).toBe(false);
    expect(zone.owns('notcluster.local')).toBe(false);
    expect(zone.owns('10.0.43.10.in-addr.arpa')).toBe(true);
    expect(zone.owns('4.3.2.1.in-addr.arpa')).toBe(false);
  });

  it('A: the cluster IP; a headless Service its ready endpoints; each ready endpoint by hostname or dashed IP', () => {
    expect(a('api.default.svc.cluster.local')).toEqual(['10.43.0.10']);
    expect(a('db.shop.svc.cluster.local')).toEqual(['10.42.0.5', '10.42.1.6']);
    expect(a('db-0.db.shop.svc.cluster.local')).toEqual(['10.42.0.5']);
    expect(a('api-0.api.default.svc.cluster.local')).toEqual(['10.42.0.3']);
    expect(a('10-42-1-4.api.default.svc.cluster.local')).toEqual(['10.42.1.4']);
    expect(zone.answer('db-2.db.shop.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN'); // terminating
    expect(a('10-42-0-77.shop.pod.cluster.local')).toEqual(['10.42.0.77']);
  });

  it('SRV for named ports: the Service name and port, or each ready endpoint and its target port', () => {
    const srv = (name: string) => zone.answer(name, 'SRV');
    expect(srv('_http._tcp.api.default.svc.cluster.local').answers.map((x) => x.type === 'SRV' && x.data)).toEqual([
      { priority: 0, weight: 100, port: 80, target: 'api.default.svc.cluster.local' },
    ]);
    expect(srv('_http._tcp.api.default.svc.cluster.local').additionals).toEqual([
      { name: 'api.default.svc.cluster.local', type: 'A', ttl: DNS_TTL, class: 'IN', data: '10.43.0.10' },
    ]);
    expect(srv('_metrics._udp.api.default.svc.cluster.local').answers).toHaveLength(1);
    expect(srv('_pg._tcp.db.shop.svc.cluster.local').answers.map((x) => x.type === 'SRV' && x.data)).toEqual([
      { priority: 0, weight: 50, port: 15432, target: 'db-0.db.shop.svc.cluster.local' },
      { priority: 0, weight: 50, port: 15432, target: 'db-1.db.shop.svc.cluster.local' },
    ]);
    expect(srv('_pg._udp.db.shop.svc.cluster.local').rcode).toBe('NXDOMAIN');
  });

  it('PTR for cluster IPs and ready endpoints', () => {
    const ptr = (name: string) => zone.answer(name, 'PTR').answers.map((x) => x.type === 'PTR' && x.data);
    expect(ptr('10.0.43.10.in-addr.arpa')).toEqual(['api.default.svc.cluster.local']);
    expect(ptr('5.0.42.10.in-addr.arpa')).toEqual(['db-0.db.shop.svc.cluster.local']);
  });

  it('NXDOMAIN for names that do not exist, NODATA for names without that type, both with the SOA', () => {
    const nx = zone.answer('web.default.svc.cluster.local', 'A');
    expect(nx.rcode).toBe('NXDOMAIN');
    expect(nx.authorities[0]).toMatchObject({ type: 'SOA', name: 'cluster.local', ttl: DNS_TTL, data: { mname: 'ns.dns.cluster.local', serial: 7, minimum: DNS_TTL } });
    expect(zone.answer('api.default.default.svc.cluster.local', 'A').rcode).toBe('NXDOMAIN'); // a search-path try
    expect(zone.answer('example.com.cluster.local', 'A').rcode).toBe('NXDOMAIN');
    for (const [name, type] of [
      ['api.default.svc.cluster.local', 'AAAA'],
      ['default.svc.cluster.local', 'A'],
      ['svc.cluster.local', 'A'],
      ['_tcp.api.default.svc.cluster.local', 'SRV'],
      ['nobody.default.svc.cluster.local', 'A'],
    ] as const) {
      const r = zone.answer(name, type);
      expect([name, r.rcode, r.answers.length, r.authorities[0]?.type]).toEqual([name, 'NOERROR', 0, 'SOA']);
    }
    expect(zone.answer('cluster.local', 'SOA').answers[0]).toMatchObject({ type: 'SOA' });
  });

  it('answers in the case asked, matches in any case', () => {
    const r = zone.answer('API.Default.SVC.cluster.local.', 'A');
    expect(r.answers).toEqual([{ name: 'API.Default.SVC.cluster.local', type: 'A', ttl: DNS_TTL, class: 'IN', data: '10.43.0.10' }]);
  });

  it('another cluster domain', () => {
    const z = buildDnsZone(networkSet([api], { clusterDomain: 'edge.internal' }));
    expect(z.answer('api.default.svc.edge.internal', 'A').answers).toHaveLength(1);
    expect(z.owns('api.default.svc.cluster.local')).toBe(false);
  });
});

describe('resolv.conf and upstream addresses', () => {
  it('reads nameservers (and search, options), leaving out cluster DNS itself', async () => {
    const text = '# generated\nnameserver 10.0.0.2\nnameserver 10.42.0.1 # us\nsearch lan example.org\noptions ndots:2 timeout:1\n';
    expect(parseResolvConf(text)).toEqual({ nameservers: ['10.0.0.2', '10.42.0.1'], search: ['lan', 'example.org'], options: ['ndots:2', 'timeout:1'] });
    const { dir, cleanup } = await tempDir('drover-dns-');
    try {
      await writeFile(join(dir, 'resolv.conf'), text);
      expect(await readNodeResolvers(join(dir, 'resolv.conf'), ['10.42.0.1'])).toEqual(['10.0.0.2']);
      expect(await readNodeResolvers(join(dir, 'absent.conf'))).toEqual(['127.0.0.1']);
    } finally {
      await cleanup();
    }
  });

  it('parses upstream addresses with and without ports', () => {
    expect(parseUpstream('1.1.1.1')).toEqual({ address: '1.1.1.1', port: 53 });
    expect(parseUpstream('127.0.0.2:5300')).toEqual({ address: '127.0.0.2', port: 5300 });
    expect(parseUpstream('::1')).toEqual({ address: '::1', port: 53 });
    expect(parseUpstream('[fd00::1]:5353')).toEqual({ address: 'fd00::1', port: 5353 });
  });
});

describe('the cluster DNS server (UDP and TCP on 127.0.0.1)', () => {
  let upstream: Upstream;
  let silent: Upstream;
  let dns: ClusterDns;
  let target: { address: string; port: number };
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write: (chunk, _e, cb) => void (logs.push(String(chunk)), cb()) }));

  beforeAll(async () => {
    upstream = await startUpstream('127.0.0.2', { 'example.com': '93.184.216.34', '4.3.2.1.in-addr.arpa': '1.2.3.4' });
    silent = await startUpstream('127.0.0.3', {}, { silent: true });
    dns = createClusterDns({ logger, listenAddress: '127.0.0.1', port: 0, upstream: [`127.0.0.2:${upstream.port}`], upstreamTimeoutMs: 300 });
    dns.update(set);
    await dns.start();
    target = dns.address()!;
  });
  afterAll(async () => {
    await dns?.stop();
    await upstream?.close();
    await silent?.close();
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`${transport}: a Service, a headless Service, an endpoint hostname, an SRV`, async () => {
      const svc = await query(target, 'api.default.svc.cluster.local', 'A', transport);
      expect(svc.rcode).toBe('NOERROR');
      expect(svc.flag_aa).toBe(true);
      expect(svc.flag_qr).toBe(true);
      expect(svc.answers).toEqual([{ name: 'api.default.svc.cluster.local', type: 'A', ttl: 5, class: 'IN', flush: false, data: '10.43.0.10' }]);
      expect(data(await query(target, 'db.shop.svc.cluster.local', 'A', transport), 'A')).toEqual(['10.42.0.5', '10.42.1.6']);
      expect(data(await query(target, 'db-1.db.shop.svc.cluster.local', 'A', transport), 'A')).toEqual(['10.42.1.6']);
      const srv = await query(target, '_pg._tcp.db.shop.svc.cluster.local', 'SRV', transport);
      expect(data(srv, 'SRV')).toEqual([
        { priority: 0, weight: 50, port: 15432, target: 'db-0.db.shop.svc.cluster.local' },
        { priority: 0, weight: 50, port: 15432, target: 'db-1.db.shop.svc.cluster.local' },
      ]);
      expect((srv.additionals ?? []).map((x) => x.name)).toEqual(['db-0.db.shop.svc.cluster.local', 'db-1.db.shop.svc.cluster.local']);
    });

    it(`${transport}: NXDOMAIN in the cluster domain, an outside name forwarded upstream`, async () => {
      const nx = await query(target, 'web.default.svc.cluster.local', 'A', transport);
      expect(nx.rcode).toBe('NXDOMAIN');
      expect(nx.authorities?.[0]?.type).toBe('SOA');
      const before = upstream.queries.length;
      const ext = await query(target, 'example.com', 'A', transport);
      expect(ext.rcode).toBe('NOERROR');
      expect(data(ext, 'A')).toEqual(['93.184.216.34']);
      expect(ext.flag_aa).toBe(false);
      expect(upstream.queries.slice(before)).toEqual(['example.com']);
      expect((await query(target, 'nothing.example', 'A', transport)).rcode).toBe('NXDOMAIN'); // upstream's answer
    });
  }

  it('an unknown reverse name goes upstream, a known one is answered here', async () => {
    const before = upstream.queries.length;
    expect(data(await query(target, '10.0.43.10.in-addr.arpa', 'PTR'), 'PTR')).toEqual(['api.default.svc.cluster.local']);
    await query(target, '4.3.2.1.in-addr.arpa', 'PTR');
    expect(upstream.queries.slice(before)).toEqual(['4.3.2.1.in-addr.arpa']);
  });

  it('EDNS queries get an OPT back; an answer too big for UDP is truncated, and whole over TCP', async () => {
    const many = service('many', {
      clusterIP: undefined,
      endpoints: Array.from({ length: 60 }, (_, i) => endpoint(`10.42.${Math.floor(i / 250)}.${(i % 250) + 1}`)),
    });
    const big = createClusterDns({ logger: silentLogger(), listenAddress: '127.0.0.1', port: 0, upstream: [] });
    big.update(networkSet([many]));
    await big.start();
    try {
      const t = big.address()!;
      const udp = await query(t, 'many.default.svc.cluster.local', 'A', 'udp');
      expect(udp.flag_tc).toBe(true);
      expect(udp.answers).toEqual([]);
      const tcp = await query(t, 'many.default.svc.cluster.local', 'A', 'tcp');
      expect(tcp.flag_tc).toBe(false);
      expect(tcp.answers).toHaveLength(60);
      const edns = await query(t, 'many.default.svc.cluster.local', 'A', 'udp', {
        additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
      });
      expect(edns.flag_tc).toBe(false);
      expect(edns.answers).toHaveLength(60);
      expect(edns.additionals?.find((a) => a.type === 'OPT')).toMatchObject({ udpPayloadSize: 1232 });
    } finally {
      await big.stop();
    }
  });

  it('SERVFAIL when the upstream does not answer; the next upstream is tried first', async () => {
    const s = createClusterDns({ logger: silentLogger(), listenAddress: '127.0.0.1', port: 0, upstream: [`127.0.0.3:${silent.port}`], upstreamTimeoutMs: 200 });
    s.update(set);
    await s.start();
    try {
      for (const transport of ['udp', 'tcp'] as const) expect((await query(s.address()!, 'example.com', 'A', transport)).rcode).toBe('SERVFAIL');
      s.setUpstream([`127.0.0.3:${silent.port}`, `127.0.0.2:${upstream.port}`]);
      expect(data(await query(s.address()!, 'example.com', 'A'), 'A')).toEqual(['93.184.216.34']);
      // the cluster's names never depend on the upstream
      expect((await query(s.address()!, 'api.default.svc.cluster.local', 'A')).rcode).toBe('NOERROR');
      s.setUpstream([]);
      expect((await query(s.address()!, 'example.com', 'A')).rcode).toBe('SERVFAIL');
      expect(s.stats()).toMatchObject({ servfail: 3, forwarded: 1 });
    } finally {
      await s.stop();
    }
  });

  it('malformed queries are answered FORMERR or dropped, logged, and the server carries on', async () => {
    logs.length = 0;
    // garbage with a header: FORMERR, same id
    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x3f, 0x61]);
    const formerr = await udpRaw(target, garbage);
    expect(formerr).toBeDefined();
    expect(formerr!.readUInt16BE(0)).toBe(0x1234);
    expect(formerr!.readUInt16BE(2) & 0x800f).toBe(0x8001);
    // shorter than a header, or a response: dropped
    expect(await udpRaw(target, Buffer.from([1, 2, 3]), 300)).toBeUndefined();
    const response = dnsPacket.encode({ type: 'response', id: 9, questions: [{ type: 'A', name: 'x' }] });
    expect(await udpRaw(target, response, 300)).toBeUndefined();
    // two questions: FORMERR
    const two = dnsPacket.encode({ type: 'query', id: 10, questions: [{ type: 'A', name: 'a.cluster.local' }, { type: 'A', name: 'b.cluster.local' }] });
    expect(dnsPacket.decode((await udpRaw(target, two))!).flags! & 0xf).toBe(1);
    // a NOTIFY (opcode 4): NOTIMP
    const notify = queryPacket('cluster.local', 'SOA');
    notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2);
    expect(dnsPacket.decode((await udpRaw(target, notify))!).flags! & 0xf).toBe(4);
    // garbage over TCP, then a good query on the same connection
    const [bad, good] = await tcpRaw(target, [garbage, queryPacket('api.default.svc.cluster.local', 'A')]);
    expect(bad!.readUInt16BE(2) & 0xf).toBe(1);
    expect(data(dnsPacket.decode(good!), 'A')).toEqual(['10.43.0.10']);
    expect(logs.some((l) => l.includes('malformed DNS query answered FORMERR'))).toBe(true);
    expect(logs.some((l) => l.includes('shorter than a header'))).toBe(true);
    expect((await query(target, 'api.default.svc.cluster.local', 'A')).rcode).toBe('NOERROR');
  });

  it('a new set is served from the update on', async () => {
    dns.update(networkSet([service('api', { clusterIP: '10.43.0.77' })]));
    try {
      expect(data(await query(target, 'api.default.svc.cluster.local', 'A'), 'A')).toEqual(['10.43.0.77']);
      expect((await query(target, 'db.shop.svc.cluster.local', 'A')).rcode).toBe('NXDOMAIN');
    } finally {
      dns.update(set);
    }
  });

  it('a port already taken is a typed error, and stop() can be called again', async () => {
    const other = createClusterDns({ logger: silentLogger(), listenAddress: '127.0.0.1', port: target.port, upstream: [] });
    const err = await other.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsListenError);
    expect((err as DnsListenError).code).toBe('EAGENT_DNS_LISTEN');
    await other.stop();
    const unbound = createClusterDns({ logger: silentLogger(), listenAddress: '192.0.2.1', port: 0, upstream: [] });
    await expect(unbound.start()).rejects.toThrow(/cannot listen on 192\.0\.2\.1:0/);
  });
});
