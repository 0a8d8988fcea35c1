/**
 * The agent bundles the hub offers devices: every `drover-agent-<version>-linux-<arch>.tar.gz` in its bundle
 * directories (`<data dir>/bundles`, then the install's `dist/bundles`; the first directory holding a name
 * wins), each with its size, SHA-256 and the hub CA's signature of the two (protocol/bundle-signature.ts).
 * The directories are read on every call (a bundle copied in is offered at once); a file's hash and
 * signature are computed once per (inode, size, mtime).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../protocol/logger.js';
import { BUNDLE_ARCHES, compareBundleVersions, isBundleArch, parseBundleFileName, type BundleIndexEntry } from '../../protocol/agent-bundle.js';
import { BadBundleNameError, BundleNotFoundError, BundleReadError } from './errors.js';

export interface BundleCatalogueOptions {
  /** Searched in order; a missing directory is skipped. */
  dirs: readonly string[];
  /** The CA's signature of (file name, sha256), base64 (hub/pki signBundle). */
  sign: (file: string, sha256: string) => string;
  logger: Logger;
}

/** An index entry and where its file is. */
export interface LocatedBundle extends BundleIndexEntry {
  path: string;
}

export interface BundleCatalogue {
  /** Every bundle, newest version first, then by architecture. */
  list(): Promise<LocatedBundle[]>;
  /** The bundles for one architecture, newest first. BundleNotFoundError for an architecture with none (the message names those there are). */
  forArch(arch: string): Promise<LocatedBundle[]>;
  /** The bundle of that file name. BadBundleNameError for a name that is not a bundle's, BundleNotFoundError when there is none. */
  locate(file: string): Promise<LocatedBundle>;
}

interface Digest {
  key: string;
  sha256: string;
  signature: string;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

export function createBundleCatalogue(opts: BundleCatalogueOptions): BundleCatalogue {
  const log = opts.logger.child({ component: 'bundles' });
  const digests = new Map<string, Digest>();

  async function namesIn(dir: string): Promise<string[]> {
    try {
      return await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
      throw new BundleReadError(dir, { cause: err });
    }
  }

  async function describe(path: string, file: string, version: string, arch: BundleIndexEntry['arch']): Promise<LocatedBundle | undefined> {
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // removed meanwhile
      throw new BundleReadError(path, { cause: err });
    }
    if (!st.isFile()) return undefined;
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    let digest = digests.get(path);
    if (digest?.key !== key) {
      let sha256: string;
      try {
        sha256 = await sha256Of(path);
      } catch (err) {
        throw new BundleReadError(path, { cause: err });
      }
      digest = { key, sha256, signature: opts.sign(file, sha256) };
      digests.set(path, digest);
      log.info({ path, size: st.size, sha256 }, 'agent bundle offered');
    }
    return { version, arch, file, size: st.size, sha256: digest.sha256, signature: digest.signature, path };
  }

  async function list(): Promise<LocatedBundle[]> {
    const seen = new Set<string>();
    const out: LocatedBundle[] = [];
    for (const dir of opts.dirs) {
      for (const file of (await namesIn(dir)).sort()) {
        const parsed = parseBundleFileName(file);
        if (!parsed || !isBundleArch(parsed.arch) || seen.has(file)) continue;
        const found = await describe(join(dir, file), file, parsed.version, parsed.arch);
        if (!found) continue;
        seen.add(file);
        out.push(found);
      }
    }
    return out.sort((a, b) => compareBundleVersions(b.version, a.version) || a.arch.localeCompare(b.arch));
  }

  const noneFor = (arch: string, all: readonly LocatedBundle[]) => {
    const have = [...new Set(all.map((b) => b.arch))];
    const known = isBundleArch(arch) ? '' : ` (bundles are built for ${BUNDLE_ARCHES.join(', ')})`;
    return new BundleNotFoundError(
      `no agent bundle for architecture ${JSON.stringify(arch)}${known}: the hub has ${have.length ? `bundles for ${have.join(', ')}` : 'no bundles (build them with install/build-agent-bundle.sh)'}`,
    );
  };

  return {
    list,
    async forArch(arch) {
      const all = await list();
      const mine = all.filter((b) => b.arch === arch);
      if (mine.length === 0) throw noneFor(arch, all);
      return mine;
    },
    async locate(file) {
      const parsed = parseBundleFileName(file);
      if (!parsed) throw new BadBundleNameError(file);
      const all = await list();
      const found = all.find((b) => b.file === file);
      if (found) return found;
      if (!all.some((b) => b.arch === parsed.arch)) throw noneFor(parsed.arch, all);
      throw new BundleNotFoundError(
        `no agent bundle ${file}: the hub has ${all.filter((b) => b.arch === parsed.arch).map((b) => b.version).join(', ')} for ${parsed.arch}`,
      );
    },
  };
}
