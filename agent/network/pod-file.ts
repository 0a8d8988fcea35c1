/**
 * A file of a pod's own that its containers bind-mount (its resolv.conf, its hosts file): written only when its
 * content changed, and in place, not renamed over, since a bind-mounted file keeps its inode and running
 * containers then see the change.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writePodFile(path: string, text: string): Promise<void> {
  const have = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (have === text) return;
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFile(path, text, { mode: 0o644 });
}
