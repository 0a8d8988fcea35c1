/**
 * configMap and secret volumes on the host: one file per key (or per `items` entry, at its `path`),
 * under `<data dir>/pods/<uid>/volumes/<name>/`, bind-mounted read-only into the containers.
 *
 * Modes: ConfigMap directories 0755 and files `defaultMode` (0644); Secret directories 0700 and files
 * 0600 unless `defaultMode`/`mode` say otherwise (the pod's own directory keeps them from other users).
 * Rewritten on every sync of the pod: a changed value reaches the file (each file replaced durably, by
 * rename from a hidden temp file, so a reader sees the old content or the new, never a mix), a key that
 * went away loses its file. The directory goes with the pod (removePodDir).
 */
import { chmod, mkdir, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { writeFileDurable } from '../../protocol/durable-file.js';
import type { ConfigData } from '../../protocol/messages.js';
import type { Volume } from '../../protocol/objects/pod.js';
import { ContainerConfigError } from '../errors.js';
import { configValue, requireConfig, type ConfigKind, type ConfigLookup } from './pod-config.js';

export const CONFIGMAP_DEFAULT_MODE = 0o644;
export const CONFIGMAP_DIR_MODE = 0o755;
export const SECRET_DEFAULT_MODE = 0o600;
export const SECRET_DIR_MODE = 0o700;

export interface VolumeFile {
  /** Relative to the volume directory. */
  path: string;
  content: Buffer;
  mode: number;
}

interface Source {
  kind: ConfigKind;
  name: string;
  items?: { key: string; path: string; mode?: number | undefined }[] | undefined;
  defaultMode?: number | undefined;
  optional?: boolean | undefined;
}

function sourceOf(volume: Volume): Source {
  if (volume.configMap) return { kind: 'ConfigMap', ...volume.configMap };
  if (volume.secret) return { kind: 'Secret', name: volume.secret.secretName, items: volume.secret.items, defaultMode: volume.secret.defaultMode, optional: volume.secret.optional };
  throw new ContainerConfigError(`volume "${volume.name}" is neither a configMap nor a secret volume`);
}

function checkedMode(volume: Volume, mode: number): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw new ContainerConfigError(`volume "${volume.name}": mode ${mode} is not a file mode between 0 and 0777 (octal) / 511 (decimal)`);
  }
  return mode;
}

function checkedPath(volume: Volume, path: string): string {
  const n = normalize(path);
  if (path === '' || n.startsWith('/') || n === '..' || n.startsWith(`..${sep}`) || n.split(sep).some((part) => part.startsWith('..'))) {
    throw new ContainerConfigError(`volume "${volume.name}": item path "${path}" must be relative, without ".." segments`);
  }
  return n;
}

/** The files of a volume for `found` (undefined: an optional source that does not exist, so none). Pure. */
export function configVolumeFiles(volume: Volume, found: ConfigData | undefined): VolumeFile[] {
  const source = sourceOf(volume);
  const defaultMode = checkedMode(volume, source.defaultMode ?? (source.kind === 'Secret' ? SECRET_DEFAULT_MODE : CONFIGMAP_DEFAULT_MODE));
  if (!found) return [];
  if (!source.items) {
    return Object.keys(found.data)
      .sort()
      .map((key) => ({ path: checkedPath(volume, key), content: configValue(found, key)!, mode: defaultMode }));
  }
  const files: VolumeFile[] = [];
  for (const item of source.items) {
    const content = configValue(found, item.key);
    if (content === undefined) {
      if (source.optional) continue;
      throw new ContainerConfigError(`${source.kind === 'ConfigMap' ? 'configmap' : 'secret'} "${source.name}" references non-existent key: ${item.key}`);
    }
    files.push({ path: checkedPath(volume, item.path), content, mode: checkedMode(volume, item.mode ?? defaultMode) });
  }
  return files;
}

/** Write (or bring up to date) the volume's directory. Throws ContainerConfigError for a missing, non-optional source. */
export async function writeConfigVolume(volume: Volume, namespace: string, dir: string, config: ConfigLookup): Promise<void> {
  const source = sourceOf(volume);
  const found = requireConfig(config, source.kind, namespace, source.name, source.optional);
  const files = configVolumeFiles(volume, found);
  const dirMode = source.kind === 'Secret' ? SECRET_DIR_MODE : CONFIGMAP_DIR_MODE;
  await mkdir(dir, { recursive: true, mode: dirMode });
  await chmod(dir, dirMode);
  for (const file of files) await writeIfChanged(join(dir, file.path), file, dir, dirMode);
  await removeStale(dir, new Set(files.map((f) => f.path)));
}

async function writeIfChanged(target: string, file: VolumeFile, root: string, dirMode: number): Promise<void> {
  const current = await readFile(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (current?.equals(file.content)) {
    if (((await stat(target)).mode & 0o777) !== file.mode) await chmod(target, file.mode);
    return;
  }
  const parent = dirname(target);
  if (parent !== root) {
    await mkdir(parent, { recursive: true, mode: dirMode });
    await chmod(parent, dirMode);
  }
  // a hidden temp file beside the target (its mode set before any content), fsync'd, then renamed over
  // it: the container never sees a half-written file, and a crash leaves the old content or the new
  await writeFileDurable(target, file.content, { mode: file.mode, dirMode: false });
}

/** Remove files (and emptied directories) that are no longer part of the volume. */
async function removeStale(root: string, keep: Set<string>, dir = root): Promise<boolean> {
  let empty = true;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (await removeStale(root, keep, full)) await rmdir(full);
      else empty = false;
    } else if (!keep.has(relative(root, full))) {
      await rm(full, { force: true });
    } else {
      empty = false;
    }
  }
  return empty && dir !== root;
}
