/** Read a disk image's partition table (MBR or GPT) and find its boot FAT and ext4 root partitions. */
import { open } from 'node:fs/promises';
import { UsageError } from '../errors.js';

export interface Partition {
  index: number;
  /** byte offset of the partition in the image */
  offset: number;
  size: number;
  kind: 'fat' | 'linux' | 'other';
}

const FAT_MBR_TYPES = new Set([0x01, 0x04, 0x06, 0x0b, 0x0c, 0x0e, 0xef]);
const GPT_ESP = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b';
const GPT_MSDATA = 'ebd0a0a2-b9e5-4433-87c0-68b6b72699c7';
const GPT_LINUX = ['0fc63daf-8483-4772-8e79-3d69d8477de4', 'b921b045-1df0-41c3-af44-4c6f280d3fae', '4f68bce3-e8cd-4db1-96e7-fbcaf984b709', '69dad710-2ce4-4e3c-b16c-21a1d49abed3'];

function guid(b: Buffer): string {
  const h = (s: Buffer) => s.toString('hex');
  const le = (s: Buffer) => h(Buffer.from(s).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}`;
}

async function readAt(path: string, pos: number, len: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(len);
    const { bytesRead } = await fh.read(buf, 0, len, pos);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

export async function readPartitions(image: string): Promise<Partition[]> {
  const mbr = await readAt(image, 0, 512);
  if (mbr.length < 512 || mbr[510] !== 0x55 || mbr[511] !== 0xaa) {
    throw new UsageError(`${image} is not a disk image: no MBR/GPT partition table (no 0x55AA signature in sector 0)`);
  }
  const parts: Partition[] = [];
  for (let i = 0; i < 4; i++) {
    const e = mbr.subarray(446 + i * 16, 462 + i * 16);
    const type = e[4] ?? 0;
    const lba = e.readUInt32LE(8);
    const sectors = e.readUInt32LE(12);
    if (type === 0 || sectors === 0) continue;
    if (type === 0xee) return readGpt(image);
    const kind = FAT_MBR_TYPES.has(type) ? 'fat' : type === 0x83 ? 'linux' : 'other';
    parts.push({ index: i + 1, offset: lba * 512, size: sectors * 512, kind });
  }
  return parts;
}

async function readGpt(image: string): Promise<Partition[]> {
  const hdr = await readAt(image, 512, 92);
  if (hdr.subarray(0, 8).toString('latin1') !== 'EFI PART') throw new UsageError(`${image}: protective MBR but no GPT header at LBA 1`);
  const entriesLba = Number(hdr.readBigUInt64LE(72));
  const count = hdr.readUInt32LE(80);
  const entrySize = hdr.readUInt32LE(84);
  const table = await readAt(image, entriesLba * 512, count * entrySize);
  const parts: Partition[] = [];
  for (let i = 0; i < count; i++) {
    const e = table.subarray(i * entrySize, (i + 1) * entrySize);
    if (e.length < 48) break;
    const type = guid(e.subarray(0, 16));
    if (type === '00000000-0000-0000-0000-000000000000') continue;
    const first = Number(e.readBigUInt64LE(32));
    const last = Number(e.readBigUInt64LE(40));
    const kind = type === GPT_ESP || type === GPT_MSDATA ? 'fat' : GPT_LINUX.includes(type) ? 'linux' : 'other';
    parts.push({ index: i + 1, offset: first * 512, size: (last - first + 1) * 512, kind });
  }
  return parts;
}

/** The boot (first FAT) and root (first Linux partition holding ext2/3/4) partitions; a clear error names what is missing. */
export async function findBootAndRoot(image: string): Promise<{ boot: Partition; root: Partition }> {
  const parts = await readPartitions(image);
  const boot = parts.find((p) => p.kind === 'fat');
  let root: Partition | undefined;
  for (const p of parts.filter((q) => q.kind === 'linux')) {
    const sb = await readAt(image, p.offset + 1024 + 56, 2);
    if (sb.length === 2 && sb.readUInt16LE(0) === 0xef53) { root = p; break; }
  }
  const missing = [!boot && 'FAT boot partition', !root && 'ext4 root partition'].filter(Boolean);
  if (!boot || !root) {
    throw new UsageError(`${image} has no ${missing.join(' and no ')} (found ${parts.length} partition(s): ${parts.map((p) => `#${p.index} ${p.kind}`).join(', ') || 'none'})`);
  }
  return { boot, root };
}
