/**
 * Sending a query on to an upstream resolver (the node's own, from its /etc/resolv.conf) and bringing
 * its answer back unchanged: over UDP for queries that came over UDP (a truncated answer goes back as
 * it is, and the client asks again over TCP), over TCP for those that came over TCP. Each query goes
 * from a fresh socket with a fresh random id, and an answer counts only if it carries that id and the
 * same question, so a stray or forged datagram is not taken for it.
 */
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIPv6 } from 'node:net';

export interface Upstream {
  address: string;
  port: number;
}

/** `1.1.1.1`, `1.1.1.1:5353`, `::1`, `[::1]:5353`. */
export function parseUpstream(text: string): Upstream {
  const t = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracketed) return { address: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : 53 };
  if (isIPv6(t)) return { address: t, port: 53 };
  const [address = '', port] = t.split(':');
  return { address, port: port ? Number(port) : 53 };
}

/** The byte length of the header and the first question (the part an answer must repeat). */
function questionEnd(message: Buffer): number {
  let i = 12;
  while (i < message.length) {
    const len = message[i]!;
    if (len === 0) return i + 1 + 4;
    if ((len & 0xc0) === 0xc0) return i + 2 + 4;
    i += len + 1;
  }
  return message.length;
}

function withId(message: Buffer, id: number): Buffer {
  const copy = Buffer.from(message);
  copy.writeUInt16BE(id, 0);
  return copy;
}

/** Whether `answer` answers `query` (same id, a response, the same question, case aside). */
function answers(query: Buffer, answer: Buffer): boolean {
  if (answer.length < 12 || answer.readUInt16BE(0) !== query.readUInt16BE(0) || (answer[2]! & 0x80) === 0) return false;
  const end = questionEnd(query);
  if (answer.length < end) return false;
  return query.subarray(12, end).toString('latin1').toLowerCase() === answer.subarray(12, end).toString('latin1').toLowerCase();
}

/** One attempt at one upstream; rejects on timeout, error or a mismatched answer stream. */
export function forwardQuery(query: Buffer, upstream: Upstream, transport: 'udp' | 'tcp', timeoutMs: number): Promise<Buffer> {
  const clientId = query.readUInt16BE(0);
  const sent = withId(query, randomInt(0, 65_536));
  return transport === 'udp' ? forwardUdp(sent, clientId, upstream, timeoutMs) : forwardTcp(sent, clientId, upstream, timeoutMs);
}

function forwardUdp(sent: Buffer, clientId: number, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIPv6(upstream.address) ? 'udp6' : 'udp4');
    const done = (error: Error | undefined, answer?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      if (error) reject(error);
      else resolve(withId(answer!, clientId));
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${upstream.address}:${upstream.port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (e) => done(e));
    socket.on('message', (msg, rinfo) => {
      if (rinfo.port !== upstream.port || (!isIPv6(upstream.address) && rinfo.address !== upstream.address) || !answers(sent, msg)) return; // not ours: keep waiting
      done(undefined, msg);
    });
    socket.send(sent, upstream.port, upstream.address, (e) => e && done(e));
  });
}

function forwardTcp(sent: Buffer, clientId: number, upstream: Upstream, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: upstream.address, port: upstream.port });
    let buffered: Buffer = Buffer.alloc(0);
    let settled = false;
    const done = (error: Error | undefined, answer?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(withId(answer!, clientId));
    };
    const timer = setTimeout(() => done(new Error(`no answer from ${upstream.address}:${upstream.port} (TCP) within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', (e) => done(e));
    socket.on('close', () => done(new Error(`${upstream.address}:${upstream.port} closed the connection without an answer`)));
    socket.on('connect', () => {
      const frame = Buffer.alloc(2 + sent.length);
      frame.writeUInt16BE(sent.length, 0);
      sent.copy(frame, 2);
      socket.write(frame);
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const len = buffered.readUInt16BE(0);
      if (buffered.length < 2 + len) return;
      const msg = buffered.subarray(2, 2 + len);
      if (answers(sent, msg)) done(undefined, Buffer.from(msg));
      else done(new Error(`${upstream.address}:${upstream.port} answered another question`));
    });
  });
}
