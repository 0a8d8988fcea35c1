/**
 * Content-addressed blobs: DATA_DIR/images/blobs/sha256/<hex>, each written once (temp file, fsync,
 * rename) and verified against its digest on the way in, so an image's layers are stored once whatever
 * the images and architectures that share them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { writeFileDurable } from '../../protocol/durable-file.js';
import { DigestMismatchError } from './errors.js';

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export interface BlobStore {
  readonly dir: string;
  /** The file of a blob, or undefined if the store lacks it. */
  locate(digest: string): Promise<{ path: string; size: number } | undefined>;
  /** Store the bytes [offset, offset+size) of a file; verified against `expected` when given. Returns the digest. */
  putRange(src: string, offset: number, size: number, expected?: string): Promise<{ digest: string; stored: boolean }>;
  putBytes(data: Uint8Array): Promise<string>;
  readJson(digest: string): Promise<unknown>;
  list(): Promise<string[]>;
  remove(digest: string): Promise<number>;
}

export const digestOf = (data: Uint8Array): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export function createBlobStore(root: string): BlobStore {
  const dir = join(root, 'blobs', 'sha256');
  const tmpDir = join(root, 'tmp');
  const pathOf = (digest: string) => join(dir, digest.slice('sha256:'.length));

  async function locate(digest: string): Promise<{ path: string; size: number } | undefined> {
    if (!DIGEST_RE.test(digest)) return undefined;
    const path = pathOf(digest);
    try {
      return { path, size: (await stat(path)).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  return {
    dir,
    locate,
    async putRange(src, offset, size, expected) {
      if (expected && (await locate(expected))?.size === size) return { digest: expected, stored: false };
      await mkdir(tmpDir, { recursive: true, mode: 0o700 });
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const tmp = join(tmpDir, `blob-${randomBytes(6).toString('hex')}`);
      const hash = createHash('sha256');
      try {
        const hashing = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk);
            cb(null, chunk);
          },
        });
        const input = size === 0 ? [] : createReadStream(src, { start: offset, end: offset + size - 1 });
        await pipeline(input, hashing, createWriteStream(tmp, { mode: 0o600 }));
        const digest = `sha256:${hash.digest('hex')}`;
        if (expected && digest !== expected) throw new DigestMismatchError(`blob ${expected}`, expected, digest);
        if ((await locate(digest)) !== undefined) return { digest, stored: false };
        const fh = await open(tmp, 'r');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, pathOf(digest));
        return { digest, stored: true };
      } finally {
        await rm(tmp, { force: true });
      }
    },
    async putBytes(data) {
      const digest = digestOf(data);
      if (!(await locate(digest))) await writeFileDurable(pathOf(digest), data, { mode: 0o600 });
      return digest;
    },
    async readJson(digest) {
      return JSON.parse(await readFile(pathOf(digest), 'utf8')) as unknown;
    },
    async list() {
      try {
        return (await readdir(dir)).filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => `sha256:${n}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
    async remove(digest) {
      const found = await locate(digest);
      if (!found) return 0;
      await rm(found.path, { force: true });
      return found.size;
    },
  };
}
