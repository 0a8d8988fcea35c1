/** A DNS client and a tiny upstream resolver for the cluster DNS tests, on dns-packet. */
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type RecordType } from 'dns-packet';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Target {
  address: string;
  port: number;
}

let nextId = 1;

export function queryPacket(name: string, type: RecordType, extra: Partial<Packet> = {}): Buffer {
  return dnsPacket.encode({ type: 'query', id: nextId++ % 65_536, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type, name, class: 'IN' }], ...extra });
}

/** Sends raw bytes over UDP; the answer, or undefined when none comes within `waitMs`. */
export function udpRaw(target: Target, message: Buffer, waitMs = 3_000): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, waitMs);
    socket.on('error', (e) => {
      clearTimeout(timer);
      socket.close();
      reject(e);
    });
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(message, target.port, target.address);
  });
}

/** Sends raw messages over one TCP connection; their answers in order of arrival. */
export function tcpRaw(target: Target, messages: Buffer[], expect = messages.length): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(target);
    let buffered: Buffer = Buffer.alloc(0);
    const answers: Buffer[] = [];
    socket.on('error', reject);
    socket.on('connect', () => {
      for (const m of messages) {
        const frame = Buffer.alloc(2 + m.length);
        frame.writeUInt16BE(m.length, 0);
        m.copy(frame, 2);
        socket.write(frame);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const len = buffered.readUInt16BE(0);
        answers.push(Buffer.from(buffered.subarray(2, 2 + len)));
        buffered = buffered.subarray(2 + len);
      }
      if (answers.length >= expect) {
        socket.destroy();
        resolve(answers);
      }
    });
    socket.on('close', () => resolve(answers));
  });
}

export interface Reply extends DecodedPacket {
  rcode: string;
}

export async function query(target: Target, name: string, type: RecordType, transport: 'udp' | 'tcp' = 'udp', extra: Partial<Packet> = {}): Promise<Reply> {
  const message = queryPacket(name, type, extra);
  const raw = transport === 'udp' ? await udpRaw(target, message) : (await tcpRaw(target, [message]))[0];
  if (!raw) throw new Error(`no answer to ${name} ${type} over ${transport}`);
  const reply = dnsPacket.decode(raw) as Reply;
  if (reply.id !== message.readUInt16BE(0)) throw new Error('answer to another query');
  return reply;
}

/** The data of the answers of one type. */
export function data(reply: DecodedPacket, type: string): unknown[] {
  return (reply.answers ?? []).filter((a) => a.type === type).map((a) => (a as Answer & { data: unknown }).data);
}

export interface Upstream extends Target {
  queries: string[];
  close(): Promise<void>;
}

/**
 * An upstream resolver on UDP and TCP (same port) that answers A for the names in `records`, NXDOMAIN
 * for others, and nothing at all when `silent`.
 */
export async function startUpstream(address: string, records: Record<string, string>, opts: { silent?: boolean; port?: number } = {}): Promise<Upstream> {
  const queries: string[] = [];
  const answer = (msg: Buffer): Buffer => {
    const q = dnsPacket.decode(msg);
    const question = q.questions![0]!;
    queries.push(question.name);
    const ip = records[question.name.toLowerCase()];
    return dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (ip ? 0 : 3),
      questions: q.questions,
      answers: ip && question.type === 'A' ? [{ name: question.name, type: 'A', ttl: 300, class: 'IN', data: ip }] : [],
    });
  };
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    if (opts.silent) return;
    udp.send(answer(msg), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => udp.bind(opts.port ?? 0, address, () => r()));
  const port = udp.address().port;
  const sockets = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const len = buffered.readUInt16BE(0);
        const msg = Buffer.from(buffered.subarray(2, 2 + len));
        buffered = buffered.subarray(2 + len);
        if (opts.silent) continue;
        const a = answer(msg);
        const frame = Buffer.alloc(2 + a.length);
        frame.writeUInt16BE(a.length, 0);
        a.copy(frame, 2);
        socket.write(frame);
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(port, address, () => r()));
  return {
    address,
    port,
    queries,
    close: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}
