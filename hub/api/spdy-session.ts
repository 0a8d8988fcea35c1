/**
 * The server side of the SPDY/3.1 subset kubectl's port-forward speaks (client-go's spdystream),
 * over any byte pipe (here: tunnelled in WebSocket binary messages, `SPDY/3.1+portforward.k8s.io`).
 * Frames (draft-mbelshe-httpbis-spdy-00): control frames `0x80 0x03 TYPE FLAGS LEN24` (SYN_STREAM,
 * SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE), data frames `STREAMID31 FLAGS LEN24`
 * with FIN = 0x01. Header blocks are `u32 count, (u32 len, name, u32 len, value)*`, compressed with one
 * zlib stream per direction for the whole connection, seeded with the spec's dictionary and flushed
 * with Z_SYNC_FLUSH per block. The client opens streams (SYN_STREAM); this side replies, sends data,
 * FIN and resets; PINGs are echoed; SETTINGS and WINDOW_UPDATE are read and ignored (spdystream does not
 * enforce windows). Frames are handled strictly in order (a header block is inflated before the next
 * frame is looked at).
 */
import zlib from 'node:zlib';

const WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive', 'origin',
];
const TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden' +
  '404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,' +
  'publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

/** The SPDY/3 header compression dictionary: length-prefixed words, then the tail as it is. */
export const SPDY3_DICTIONARY: Buffer = Buffer.concat([
  ...WORDS.flatMap((w) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    return [len, Buffer.from(w, 'latin1')];
  }),
  Buffer.from(TAIL, 'latin1'),
]);

const TYPE = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;
const FLAG_FIN = 0x01;
export const RST_CANCEL = 5;
export const RST_INTERNAL_ERROR = 6;
export const RST_REFUSED_STREAM = 3;

export interface SpdySessionHandlers {
  /** Bytes to the client. */
  write(bytes: Buffer): void;
  onStream(id: number, headers: Record<string, string>): void;
  onData(id: number, data: Buffer): void;
  /** The client is done sending on stream `id` (FIN). */
  onFin(id: number): void;
  onReset(id: number): void;
  /** The connection cannot go on (a framing or compression error). */
  onError(err: Error): void;
}

export interface SpdySession {
  /** Bytes from the client. */
  feed(bytes: Buffer): void;
  reply(id: number, headers?: Record<string, string>): Promise<void>;
  data(id: number, data: Buffer, fin?: boolean): void;
  reset(id: number, status?: number): void;
  close(): void;
}

function encodeHeaders(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [k, v] of entries) {
    const kb = Buffer.from(k.toLowerCase());
    const vb = Buffer.from(v);
    parts.push(u32(kb.length), kb, u32(vb.length), vb);
  }
  return Buffer.concat(parts);
}

export function decodeHeaders(block: Buffer): Record<string, string> {
  const headers: Record<string, string> = {};
  if (block.length < 4) return headers;
  const count = block.readUInt32BE(0);
  let off = 4;
  for (let i = 0; i < count; i++) {
    if (off + 4 > block.length) throw new Error('SPDY header block cut short');
    const kl = block.readUInt32BE(off);
    const k = block.subarray(off + 4, off + 4 + kl).toString();
    off += 4 + kl;
    if (off + 4 > block.length) throw new Error('SPDY header block cut short');
    const vl = block.readUInt32BE(off);
    const v = block.subarray(off + 4, off + 4 + vl).toString();
    off += 4 + vl;
    if (off > block.length) throw new Error('SPDY header block cut short');
    headers[k.toLowerCase()] = v;
  }
  return headers;
}

/** One zlib stream of a direction, flushed per block (Z_SYNC_FLUSH), its output per block. */
function zlibBlocks(stream: zlib.Inflate | zlib.Deflate): (block: Buffer) => Promise<Buffer> {
  let out: Buffer[] = [];
  let failed: Error | undefined;
  stream.on('data', (d: Buffer) => out.push(d));
  stream.on('error', (err) => (failed = err));
  let chain: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
  return (block) => {
    chain = chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (failed) return reject(failed);
          stream.write(block);
          stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            setImmediate(() => {
              if (failed) return reject(failed);
              const result = Buffer.concat(out);
              out = [];
              resolve(result);
            });
          });
        }),
    );
    return chain;
  };
}

export function createSpdySession(h: SpdySessionHandlers): SpdySession {
  const inflate = zlibBlocks(zlib.createInflate({ dictionary: SPDY3_DICTIONARY }));
  const deflate = zlibBlocks(zlib.createDeflate({ dictionary: SPDY3_DICTIONARY }));
  let buffered: Buffer = Buffer.alloc(0);
  let processing = Promise.resolve();
  let closed = false;

  function control(type: number, flags: number, payload: Buffer): Buffer {
    const head = Buffer.alloc(8);
    head.writeUInt16BE(0x8003, 0);
    head.writeUInt16BE(type, 2);
    head.writeUInt32BE(payload.length, 4);
    head[4] = flags;
    return Buffer.concat([head, payload]);
  }

  async function frame(f: Buffer): Promise<void> {
    const isControl = (f[0]! & 0x80) !== 0;
    const flags = f[4]!;
    const payload = f.subarray(8);
    if (!isControl) {
      const id = f.readUInt32BE(0) & 0x7fffffff;
      if (payload.length > 0) h.onData(id, payload);
      if (flags & FLAG_FIN) h.onFin(id);
      return;
    }
    const version = f.readUInt16BE(0) & 0x7fff;
    if (version !== 3) throw new Error(`SPDY version ${version} is not served (only 3.1)`);
    const type = f.readUInt16BE(2);
    switch (type) {
      case TYPE.SYN_STREAM: {
        const id = payload.readUInt32BE(0) & 0x7fffffff;
        const headers = decodeHeaders(await inflate(payload.subarray(10)));
        h.onStream(id, headers);
        if (flags & FLAG_FIN) h.onFin(id);
        return;
      }
      case TYPE.HEADERS:
        await inflate(payload.subarray(4)); // keeps the zlib stream in step; nothing in it is used
        return;
      case TYPE.RST_STREAM:
        h.onReset(payload.readUInt32BE(0) & 0x7fffffff);
        return;
      case TYPE.PING:
        h.write(control(TYPE.PING, 0, payload));
        return;
      case TYPE.GOAWAY:
        closed = true;
        return;
      default:
        return; // SETTINGS, WINDOW_UPDATE, SYN_REPLY from a client: nothing to do
    }
  }

  return {
    feed(bytes) {
      if (closed) return;
      buffered = buffered.length ? Buffer.concat([buffered, bytes]) : bytes;
      const frames: Buffer[] = [];
      while (buffered.length >= 8) {
        const len = buffered.readUInt32BE(4) & 0xffffff;
        if (buffered.length < 8 + len) break;
        frames.push(buffered.subarray(0, 8 + len));
        buffered = buffered.subarray(8 + len);
      }
      for (const f of frames) {
        processing = processing.then(() => (closed ? undefined : frame(f))).catch((err: unknown) => {
          closed = true;
          h.onError(err as Error);
        });
      }
    },
    async reply(id, headers = {}) {
      const block = await deflate(encodeHeaders(headers));
      const p = Buffer.alloc(4);
      p.writeUInt32BE(id & 0x7fffffff);
      h.write(control(TYPE.SYN_REPLY, 0, Buffer.concat([p, block])));
    },
    data(id, data, fin = false) {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(id & 0x7fffffff, 0);
      head.writeUInt32BE(data.length, 4);
      head[4] = fin ? FLAG_FIN : 0;
      h.write(Buffer.concat([head, data]));
    },
    reset(id, status = RST_CANCEL) {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(id & 0x7fffffff, 0);
      p.writeUInt32BE(status, 4);
      h.write(control(TYPE.RST_STREAM, 0, p));
    },
    close() {
      closed = true;
    },
  };
}
