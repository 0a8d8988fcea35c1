/**
 * The regular files of a tar archive on disk, by path, with where their bytes are (offset, size): enough
 * to read an image archive (docker save, OCI layout) without unpacking it. ustar, GNU long names (L) and
 * pax path/size records are understood; a truncated archive or a bad header checksum is a BadImageArchiveError.
 */
import { open } from 'node:fs/promises';
import { BadImageArchiveError } from './errors.js';

export interface TarEntry {
  offset: number;
  size: number;
}

const BLOCK = 512;

function field(buf: Buffer, start: number, len: number): string {
  const raw = buf.subarray(start, start + len);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? len : end).toString('utf8');
}

function octal(buf: Buffer, start: number, len: number): number {
  if ((buf[start]! & 0x80) !== 0) return Number(buf.readBigUInt64BE(start + len - 8)); // base-256 (GNU) for big files
  const text = field(buf, start, len).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum === octal(header, 148, 8);
}

function paxRecords(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+) ([^=]+)=/.exec(rest);
    if (!m) break;
    const len = Number(m[1]);
    const record = Buffer.from(rest).subarray(0, len).toString('utf8');
    out[m[2]!] = record.slice(m[0].length, -1);
    rest = Buffer.from(rest).subarray(len).toString('utf8');
  }
  return out;
}

/** Normalise "./blobs/sha256/x" and "blobs/sha256/x" to the same key. */
export function tarPath(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

export async function readTarIndex(path: string): Promise<Map<string, TarEntry>> {
  const file = await open(path, 'r');
  try {
    const { size: total } = await file.stat();
    const entries = new Map<string, TarEntry>();
    const header = Buffer.alloc(BLOCK);
    let offset = 0;
    let longName: string | undefined;
    let pax: Record<string, string> = {};
    for (;;) {
      if (offset + BLOCK > total) throw new BadImageArchiveError(offset === 0 ? 'the file is empty' : `the tar archive is truncated at byte ${offset}`);
      await file.read(header, 0, BLOCK, offset);
      if (header.every((b) => b === 0)) return entries;
      if (!checksumOk(header)) throw new BadImageArchiveError(`not a tar archive (bad header checksum at byte ${offset})`);
      const type = String.fromCharCode(header[156] || 0x30);
      let size = octal(header, 124, 12);
      if (pax.size !== undefined) size = Number(pax.size);
      const dataStart = offset + BLOCK;
      if (dataStart + size > total) throw new BadImageArchiveError(`the tar archive is truncated (an entry needs ${dataStart + size} bytes, the file has ${total})`);
      const readText = async () => {
        const buf = Buffer.alloc(size);
        await file.read(buf, 0, size, dataStart);
        return buf.toString('utf8');
      };
      if (type === 'L') {
        longName = (await readText()).replace(/\0+$/, '');
      } else if (type === 'x') {
        pax = paxRecords(await readText());
      } else {
        const prefix = field(header, 345, 155);
        const name = longName ?? pax.path ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
        if (type === '0' || type === '7') entries.set(tarPath(name), { offset: dataStart, size });
        longName = undefined;
        pax = {};
      }
      offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    }
  } finally {
    await file.close();
  }
}
