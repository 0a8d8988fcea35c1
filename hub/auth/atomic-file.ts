import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { Logger } from '../../protocol/logger.js';

/**
 * Replace `path` with `data` atomically and durably: write a temp file beside it (created with `mode`,
 * so the content is never readable by others, even briefly), fsync it, rename it over `path`, fsync the
 * directory. A crash leaves either the old file or the new one, never a torn one.
 */
export async function writeFileAtomic(path: string, data: string, opts: { mode: number; logger: Logger }): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const file = await open(tmp, 'wx', opts.mode);
    try {
      await file.writeFile(data, 'utf8');
      await file.chmod(opts.mode); // open()'s mode is filtered by the umask
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch((cleanupErr: unknown) =>
      opts.logger.warn({ err: cleanupErr, tmp }, 'could not remove temporary file after a failed write'),
    );
    throw err;
  }
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
