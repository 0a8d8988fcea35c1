/**
 * Cluster DNS for the node's pods, served by the agent on the node's bridge address (UDP and TCP,
 * port 53), from the Services of its network set (dns-zone.ts): names in the cluster domain are
 * answered here (authoritative, TTL 5 s), everything else goes to the node's own resolvers
 * (dns-forwarder.ts) and SERVFAIL comes back when none of them answers in time. Pods reach the short
 * names (`api`, `api.default`) through their resolv.conf's search path
 * (`<ns>.svc.<domain> svc.<domain> <domain>`), so the server needs only full names.
 *
 * Malformed input is answered FORMERR when it has a header to answer, else dropped, and logged (at most
 * once per 10 s per kind, with a count): never a crash. The zone is swapped whole on update(): a query
 * sees one set or the next, never half of each. Call update() with the stored set before start(): until
 * the first update every name is forwarded.
 */
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { Logger } from '../../protocol/logger.js';
import { DnsListenError } from '../errors.js';
import { forwardQuery, parseUpstream, type Upstream } from './dns-forwarder.js';
import { buildDnsZone, type DnsZone, type DnsZoneSet } from './dns-zone.js';

export interface ClusterDnsOptions {
  logger: Logger;
  /** The node's bridge address (the first host of its pod CIDR), or 127.0.0.1 in tests. */
  listenAddress: string;
  /** Default 53; 0 lets the system choose (UDP first, TCP then takes the same port). */
  port?: number;
  /** The node's own resolvers (`readNodeResolvers()`), tried in order: `1.1.1.1`, `10.0.0.2:5353`. */
  upstream: readonly string[];
  clock?: () => number;
  /** How long each upstream gets to answer before the next is tried (default 2 s). */
  upstreamTimeoutMs?: number;
  /** A TCP connection with no query for this long is closed (default 10 s). */
  tcpIdleTimeoutMs?: number;
  /** Forwarded queries waiting at once; beyond it SERVFAIL at once (default 1024). */
  maxInflight?: number;
}

export interface ClusterDnsStats {
  local: number;
  forwarded: number;
  servfail: number;
  malformed: number;
}

export interface ClusterDns {
  /** Serve this set's Services from now on. */
  update(set: DnsZoneSet): void;
  /** Replace the upstream resolvers (after the node's resolv.conf changed). */
  setUpstream(upstream: readonly string[]): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Where it listens, once started (the port chosen when `port` was 0). */
  address(): { address: string; port: number } | undefined;
  stats(): ClusterDnsStats;
}

const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;
const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
type Rcode = keyof typeof RCODE;
/** The UDP payload this server offers in its EDNS answers (the DNS flag day's 1232). */
const EDNS_UDP_SIZE = 1232;
const LOG_EVERY_MS = 10_000;
const MAX_TCP_CONNECTIONS = 256;
const MAX_TCP_PENDING = 32;

export function createClusterDns(opts: ClusterDnsOptions): ClusterDns {
  const log = opts.logger;
  const clock = opts.clock ?? Date.now;
  const timeoutMs = opts.upstreamTimeoutMs ?? 2_000;
  const idleMs = opts.tcpIdleTimeoutMs ?? 10_000;
  const maxInflight = opts.maxInflight ?? 1_024;
  const wantedPort = opts.port ?? 53;
  let upstream: Upstream[] = [];
  let zone: DnsZone | undefined;
  let udp: UdpSocket | undefined;
  let tcp: Server | undefined;
  const connections = new Set<Socket>();
  let bound: { address: string; port: number } | undefined;
  let inflight = 0;
  const stats: ClusterDnsStats = { local: 0, forwarded: 0, servfail: 0, malformed: 0 };

  const setUpstream = (list: readonly string[]) => {
    upstream = list
      .map(parseUpstream)
      // never to itself: that would loop until the query times out
      .filter((u) => !(u.address === opts.listenAddress && (u.port === wantedPort || u.port === bound?.port)));
    if (upstream.length === 0) log.warn('cluster DNS has no upstream resolver: names outside the cluster domain get SERVFAIL');
  };
  setUpstream(opts.upstream);

  // one log line per kind of trouble per 10 s, with how many were suppressed
  const lastLogged = new Map<string, { at: number; suppressed: number }>();
  const throttled = (kind: string, fields: Record<string, unknown>, message: string) => {
    const now = clock();
    const seen = lastLogged.get(kind);
    if (seen && now - seen.at < LOG_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    log.warn({ ...fields, ...(seen?.suppressed ? { suppressed: seen.suppressed } : {}) }, message);
    lastLogged.set(kind, { at: now, suppressed: 0 });
  };

  /** A response with only a header (and the question, when there is one to echo). */
  const bare = (id: number, queryFlags: number, rcode: Rcode, question?: DecodedPacket['questions']): Buffer =>
    dnsPacket.encode({
      type: 'response',
      id,
      flags: (queryFlags & FLAG_RD) | FLAG_RA | RCODE[rcode],
      questions: question ?? [],
      answers: [],
      authorities: [],
      additionals: [],
    });

  async function handle(message: Buffer, transport: 'udp' | 'tcp', from: string): Promise<Buffer | undefined> {
    if (message.length < 12) {
      stats.malformed++;
      throttled('short', { from, bytes: message.length }, 'DNS message shorter than a header dropped');
      return undefined;
    }
    const id = message.readUInt16BE(0);
    const flags = message.readUInt16BE(2);
    if (flags & 0x8000) return undefined; // a response: not for a server to answer
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(message);
    } catch (e) {
      stats.malformed++;
      throttled('malformed', { from, error: (e as Error).message }, 'malformed DNS query answered FORMERR');
      return bare(id, flags, 'FORMERR');
    }
    const opcode = (flags >> 11) & 0xf;
    if (opcode !== 0) return bare(id, flags, 'NOTIMP', query.questions);
    const questions = query.questions ?? [];
    if (questions.length !== 1) {
      stats.malformed++;
      throttled('questions', { from, questions: questions.length }, 'DNS query without exactly one question answered FORMERR');
      return bare(id, flags, 'FORMERR', questions);
    }
    const question = questions[0]!;
    const current = zone;
    if (current?.owns(question.name)) {
      stats.local++;
      if (question.class !== 'IN' && question.class !== 'ANY') return bare(id, flags, 'NOTIMP', questions);
      return local(current, query, flags, transport);
    }
    return forward(message, transport, id, flags, query);
  }

  function local(current: DnsZone, query: DecodedPacket, flags: number, transport: 'udp' | 'tcp'): Buffer {
    const question = query.questions![0]!;
    const result = current.answer(question.name, question.type);
    const opt = query.additionals?.find((a): a is Extract<Answer, { type: 'OPT' }> => a.type === 'OPT');
    const optAnswer: Answer[] = opt
      ? [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_UDP_SIZE, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
      : [];
    const packet: Packet = {
      type: 'response',
      id: query.id ?? 0,
      flags: FLAG_AA | (flags & FLAG_RD) | FLAG_RA | RCODE[result.rcode],
      questions: [question],
      answers: result.answers,
      authorities: result.authorities,
      additionals: [...result.additionals, ...optAnswer],
    };
    const encoded = dnsPacket.encode(packet);
    const limit = transport === 'tcp' ? 65_535 : opt ? Math.min(Math.max(opt.udpPayloadSize, 512), 4096) : 512;
    if (encoded.length <= limit) return encoded;
    // too big for the datagram: say so, and the client asks again over TCP
    return dnsPacket.encode({ ...packet, flags: (packet.flags ?? 0) | FLAG_TC, answers: [], authorities: [], additionals: optAnswer });
  }

  async function forward(message: Buffer, transport: 'udp' | 'tcp', id: number, flags: number, query: DecodedPacket): Promise<Buffer> {
    const name = query.questions![0]!.name;
    if (upstream.length === 0) {
      stats.servfail++;
      return bare(id, flags, 'SERVFAIL', query.questions);
    }
    if (inflight >= maxInflight) {
      stats.servfail++;
      throttled('inflight', { inflight }, 'too many DNS queries waiting for the upstream resolvers: SERVFAIL');
      return bare(id, flags, 'SERVFAIL', query.questions);
    }
    inflight++;
    try {
      const errors: string[] = [];
      for (const u of upstream) {
        try {
          const answer = await forwardQuery(message, u, transport, timeoutMs);
          stats.forwarded++;
          return answer;
        } catch (e) {
          errors.push(`${u.address}:${u.port}: ${(e as Error).message}`);
        }
      }
      stats.servfail++;
      throttled('upstream', { name, errors }, 'no upstream resolver answered: SERVFAIL');
      return bare(id, flags, 'SERVFAIL', query.questions);
    } finally {
      inflight--;
    }
  }

  const respondUdp = (msg: Buffer, rinfo: { address: string; port: number }) => {
    handle(msg, 'udp', `${rinfo.address}:${rinfo.port}`)
      .then((answer) => {
        if (answer && udp) udp.send(answer, rinfo.port, rinfo.address);
      })
      .catch((e: unknown) => throttled('internal', { error: (e as Error).message }, 'DNS query failed'));
  };

  const serveTcp = (socket: Socket) => {
    if (connections.size >= MAX_TCP_CONNECTIONS) {
      socket.destroy();
      return;
    }
    connections.add(socket);
    socket.setTimeout(idleMs, () => socket.destroy());
    socket.on('close', () => connections.delete(socket));
    socket.on('error', () => socket.destroy());
    const from = `${socket.remoteAddress}:${socket.remotePort}`;
    let buffered: Buffer = Buffer.alloc(0);
    let pending = 0;
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0);
        if (buffered.length < 2 + len) break;
        const msg = Buffer.from(buffered.subarray(2, 2 + len));
        buffered = buffered.subarray(2 + len);
        if (pending >= MAX_TCP_PENDING) continue; // a client that does not read its answers loses the rest
        pending++;
        handle(msg, 'tcp', from)
          .then((answer) => {
            if (!answer || socket.destroyed) return;
            const frame = Buffer.alloc(2 + answer.length);
            frame.writeUInt16BE(answer.length, 0);
            answer.copy(frame, 2);
            socket.write(frame);
          })
          .catch((e: unknown) => throttled('internal', { error: (e as Error).message }, 'DNS query failed'))
          .finally(() => pending--);
      }
    });
  };

  async function closeAll(): Promise<void> {
    for (const s of connections) s.destroy();
    connections.clear();
    const u = udp;
    const t = tcp;
    udp = undefined;
    tcp = undefined;
    bound = undefined;
    await Promise.all([
      u
        ? new Promise<void>((r) => {
            try {
              u.close(() => r());
            } catch {
              r(); // never bound (the bind failed): nothing to close
            }
          })
        : undefined,
      t ? new Promise<void>((r) => t.close(() => r())) : undefined,
    ]);
  }

  async function listenBoth(): Promise<void> {
    const u = createSocket(isIPv6(opts.listenAddress) ? 'udp6' : 'udp4');
    udp = u;
    await new Promise<void>((resolve, reject) => {
      u.once('error', reject);
      u.bind(wantedPort, opts.listenAddress, () => {
        u.off('error', reject);
        resolve();
      });
    });
    u.on('error', (e) => throttled('udp', { error: e.message }, 'cluster DNS UDP socket error'));
    u.on('message', respondUdp);
    const port = u.address().port;
    const t = createServer({ noDelay: true }, serveTcp);
    tcp = t;
    await new Promise<void>((resolve, reject) => {
      t.once('error', reject);
      t.listen({ port, host: opts.listenAddress }, () => {
        t.off('error', reject);
        resolve();
      });
    });
    t.on('error', (e) => throttled('tcp', { error: e.message }, 'cluster DNS TCP server error'));
    bound = { address: opts.listenAddress, port };
  }

  return {
    update(set) {
      zone = buildDnsZone(set);
      log.debug({ domain: zone.domain, services: set.services.length }, 'cluster DNS zone updated');
    },
    setUpstream,
    async start() {
      if (udp) return;
      // with port 0 the system picks the UDP port, and TCP may find it taken: pick again a few times
      for (let attempt = 1; ; attempt++) {
        try {
          await listenBoth();
          log.info({ address: opts.listenAddress, port: bound!.port, upstream: upstream.map((x) => `${x.address}:${x.port}`) }, 'cluster DNS listening');
          return;
        } catch (cause) {
          await closeAll();
          if (wantedPort === 0 && (cause as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 10) continue;
          throw new DnsListenError(opts.listenAddress, wantedPort, { cause });
        }
      }
    },
    async stop() {
      await closeAll();
    },
    address: () => bound,
    stats: () => ({ ...stats }),
  };
}
