/** Reading manifests for `apply -f` and `delete -f`: a file, a directory's YAML/JSON files, or stdin. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifests } from '../../protocol/manifest.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import { UsageError } from './errors.js';
import type { CliIO } from './io.js';

async function sources(path: string): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new UsageError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`, { cause: err });
  }
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => /\.(ya?ml|json)$/.test(n)).sort();
  return names.map((n) => join(path, n));
}

/** Parse and validate every document locally, so errors name the file, document and field. */
export async function readManifests(files: string[], io: CliIO): Promise<KubeObject[]> {
  if (files.length === 0) throw new UsageError('name the manifest with -f FILE (or -f - for standard input)');
  const objects: KubeObject[] = [];
  for (const file of files) {
    if (file === '-') {
      objects.push(...parseManifests(await io.readStdin(), 'stdin'));
      continue;
    }
    for (const path of await sources(file)) objects.push(...parseManifests(await readFile(path, 'utf8'), path));
  }
  return objects;
}
