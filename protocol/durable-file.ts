/**
 * The one way Drover writes a state file, on the hub and on devices: a crash at any moment leaves
 * either the old content or the new one, never a torn or empty file, and once the call resolves the
 * new content survives a power cut.
 *
 * Write a temp file beside the target (created exclusively with `mode`, so the content is never
 * readable by others, even briefly), fsync it, rename it over the target, fsync the directory.
 * write-file-atomic does the first three but not the directory fsync, without which the rename itself
 * may be lost after a crash; hence this small module instead of the package.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface DurableWriteOptions {
  /** The file's permission bits, set exactly (not filtered by the umask). Default 0o644. */
  mode?: number;
  /** Create missing parent directories with this mode (default 0o700); `false` = the directory must exist. */
  dirMode?: number | false;
}

/** Temp files are `.<name>.<random>.tmp` beside the target: hidden, and never mistaken for the target. */
export function isDurableTempFile(name: string): boolean {
  return /^\..+\.[0-9a-f]{12}\.tmp$/.test(name);
}

export async function writeFileDurable(path: string, data: string | Uint8Array, opts: DurableWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const mode = opts.mode ?? 0o644;
  if (opts.dirMode !== false) await mkdir(dir, { recursive: true, mode: opts.dirMode ?? 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(tmp, 'wx', mode);
    try {
      await file.writeFile(data);
      await file.chmod(mode); // open()'s mode is filtered by the umask
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch((cleanupErr: unknown) => {
      throw new AggregateError([err, cleanupErr], `writing ${path} failed, and so did removing its temp file ${tmp}`);
    });
    throw err;
  }
  await fsyncDirectory(dir);
}

/** fsync a directory, so that a rename or a new entry in it is durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Move a damaged state file aside (`<path>.corrupt`, replacing an older one) durably; returns the new path. */
export async function moveAside(path: string, suffix = 'corrupt'): Promise<string> {
  const aside = `${path}.${suffix}`;
  await rename(path, aside);
  await fsyncDirectory(dirname(path));
  return aside;
}
