/** A SPDY/3.1 client's frames as spdystream makes them, for the tests of the server side. */
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from '../../../hub/api/spdy-session.js';

export function headerBlock(headers: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  parts.push(u32(Object.keys(headers).length));
  for (const [k, v] of Object.entries(headers)) parts.push(u32(k.length), Buffer.from(k), u32(v.length), Buffer.from(v));
  return Buffer.concat(parts);
}

/** A client's compressor: one zlib stream, a sync flush per block. */
export function clientDeflate(): (b: Buffer) => Promise<Buffer> {
  const d = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  let out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  return (b) => new Promise((resolve) => {
    d.write(b);
    d.flush(zlib.constants.Z_SYNC_FLUSH, () => setImmediate(() => {
      resolve(Buffer.concat(out));
      out = [];
    }));
  });
}

export function control(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.from([0x80, 0x03, type >> 8, type & 255, flags, 0, 0, 0]);
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

export async function synStream(deflate: (b: Buffer) => Promise<Buffer>, id: number, headers: Record<string, string>): Promise<Buffer> {
  const ids = Buffer.alloc(10);
  ids.writeUInt32BE(id, 0);
  return control(1, 0, Buffer.concat([ids, await deflate(headerBlock(headers))]));
}

export function dataFrame(id: number, data: Buffer, fin = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(id, 0);
  head.writeUInt32BE(data.length, 4);
  head[4] = fin ? 1 : 0;
  return Buffer.concat([head, data]);
}

