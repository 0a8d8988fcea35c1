/**
 * The hub's image store: DATA_DIR/images/{blobs/sha256/<hex>, tags.json, tmp/}. Tags name a manifest or
 * an OCI index; pushing a tag that exists for another platform merges both into one index (two arches of
 * one name), the same platform replaces its entry. Removing a tag frees every blob no tag reaches any more.
 * Imports and removals run one at a time, so a removal never frees a blob an import is about to reference.
 */
import { readFile, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileDurable } from '../../protocol/durable-file.js';
import type { Logger } from '../../protocol/logger.js';
import { createBlobStore, DIGEST_RE, type BlobStore } from './blobs.js';
import { importArchive } from './archive-import.js';
import { ImageNotFoundError } from './errors.js';
import { MEDIA, type Descriptor, type ManifestDoc, type Platform, isIndexType, mediaTypeOf, parseImageRef, platformString } from './oci.js';

export interface ImageSummary {
  name: string;
  tag: string;
  digest: string;
  mediaType: string;
  platforms: string[];
  /** Bytes of every blob the tag reaches (each counted once). */
  sizeBytes: number;
}

export interface PushSummary {
  images: ImageSummary[];
  blobsStored: number;
  bytesStored: number;
  blobsShared: number;
}

export interface ResolvedManifest {
  digest: string;
  mediaType: string;
  path: string;
  size: number;
}

export interface ImageStore {
  readonly blobs: BlobStore;
  /** A directory for uploads in progress (same filesystem as the blobs). */
  tempFile(): Promise<string>;
  push(archivePath: string): Promise<PushSummary>;
  list(): Promise<ImageSummary[]>;
  remove(ref: string): Promise<{ freedBlobs: number; freedBytes: number }>;
  /** A manifest of `name` by tag or digest (a digest only if a tag of `name` reaches it). */
  resolveManifest(name: string, reference: string): Promise<ResolvedManifest | undefined>;
  hasName(name: string): Promise<boolean>;
}

type Tags = Record<string, Record<string, string>>;

export function createImageStore(opts: { dataDir: string; logger: Logger }): ImageStore {
  const root = join(opts.dataDir, 'images');
  const blobs = createBlobStore(root);
  const tagsFile = join(root, 'tags.json');
  const log = opts.logger.child({ component: 'images' });
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  async function readTags(): Promise<Tags> {
    try {
      return JSON.parse(await readFile(tagsFile, 'utf8')) as Tags;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
  }
  const writeTags = (tags: Tags) => writeFileDurable(tagsFile, JSON.stringify(tags, null, 1), { mode: 0o600 });
  const readDoc = async (digest: string) => (await blobs.readJson(digest)) as ManifestDoc;

  /** Every digest a manifest or index reaches, itself included. */
  async function reach(digest: string, into: Set<string>): Promise<Set<string>> {
    if (into.has(digest)) return into;
    into.add(digest);
    if (!(await blobs.locate(digest))) return into;
    const doc = await readDoc(digest);
    for (const m of doc.manifests ?? []) await reach(m.digest, into);
    if (doc.config) into.add(doc.config.digest);
    for (const l of doc.layers ?? []) into.add(l.digest);
    return into;
  }

  async function platformOf(manifestDigest: string): Promise<Platform> {
    const doc = await readDoc(manifestDigest);
    if (!doc.config) return { os: 'unknown', architecture: 'unknown' };
    const config = (await blobs.readJson(doc.config.digest)) as Partial<Platform>;
    return { os: config.os ?? 'linux', architecture: config.architecture ?? 'unknown', ...(config.variant ? { variant: config.variant } : {}) };
  }

  /** The platform manifests of a tag's target, each with its platform. */
  async function children(digest: string): Promise<Descriptor[]> {
    const doc = await readDoc(digest);
    const type = mediaTypeOf(doc);
    if (isIndexType(type)) {
      const out: Descriptor[] = [];
      for (const m of doc.manifests ?? []) {
        if (m.platform?.architecture === 'unknown' || !(await blobs.locate(m.digest))) continue; // attestations, absent platforms
        out.push({ mediaType: m.mediaType, digest: m.digest, size: m.size, platform: m.platform ?? (await platformOf(m.digest)) });
      }
      return out;
    }
    const found = await blobs.locate(digest);
    return [{ mediaType: type, digest, size: found!.size, platform: await platformOf(digest) }];
  }

  /** The tag's new target: the pushed one, merged with what the tag had for other platforms. */
  async function merge(previous: string | undefined, pushed: string): Promise<string> {
    if (!previous || previous === pushed || !(await blobs.locate(previous))) return pushed;
    const incoming = await children(pushed);
    const taken = new Set(incoming.map((d) => platformString(d.platform!)));
    const kept = (await children(previous)).filter((d) => !taken.has(platformString(d.platform!)));
    if (kept.length === 0) return pushed;
    const index = { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [...kept, ...incoming] };
    return blobs.putBytes(Buffer.from(JSON.stringify(index)));
  }

  async function summary(name: string, tag: string, digest: string): Promise<ImageSummary> {
    const all = await reach(digest, new Set());
    let sizeBytes = 0;
    for (const d of all) sizeBytes += (await blobs.locate(d))?.size ?? 0;
    const doc = await readDoc(digest);
    const platforms = (await children(digest)).map((d) => platformString(d.platform!));
    return { name, tag, digest, mediaType: mediaTypeOf(doc), platforms, sizeBytes };
  }

  async function collectGarbage(tags: Tags): Promise<{ freedBlobs: number; freedBytes: number }> {
    const live = new Set<string>();
    for (const byTag of Object.values(tags)) for (const d of Object.values(byTag)) await reach(d, live);
    let freedBlobs = 0;
    let freedBytes = 0;
    for (const d of await blobs.list()) {
      if (live.has(d)) continue;
      freedBytes += await blobs.remove(d);
      freedBlobs++;
    }
    return { freedBlobs, freedBytes };
  }

  return {
    blobs,
    async tempFile() {
      await mkdir(join(root, 'tmp'), { recursive: true, mode: 0o700 });
      return join(root, 'tmp', `upload-${randomBytes(8).toString('hex')}`);
    },
    push: (archivePath) =>
      serial(async () => {
        const imported = await importArchive(blobs, archivePath);
        const tags = await readTags();
        const touched: Array<{ name: string; tag: string }> = [];
        for (const t of imported.tags) {
          const { name, tag } = parseImageRef(t.ref);
          const byTag = (tags[name] ??= {});
          byTag[tag] = await merge(byTag[tag], t.digest);
          touched.push({ name, tag });
        }
        await writeTags(tags);
        await collectGarbage(tags); // an index replaced by a merge
        const images = await Promise.all(touched.map(({ name, tag }) => summary(name, tag, tags[name]![tag]!)));
        log.info({ images: images.map((i) => `${i.name}:${i.tag}`), blobsStored: imported.blobsStored, bytesStored: imported.bytesStored, blobsShared: imported.blobsShared }, 'image archive pushed');
        return { images, blobsStored: imported.blobsStored, bytesStored: imported.bytesStored, blobsShared: imported.blobsShared };
      }),
    async list() {
      const tags = await readTags();
      const out: ImageSummary[] = [];
      for (const name of Object.keys(tags).sort()) {
        for (const tag of Object.keys(tags[name]!).sort()) out.push(await summary(name, tag, tags[name]![tag]!));
      }
      return out;
    },
    remove: (ref) =>
      serial(async () => {
        const { name, tag } = parseImageRef(ref);
        const tags = await readTags();
        if (tags[name]?.[tag] === undefined) throw new ImageNotFoundError(`image ${name}:${tag}`);
        delete tags[name]![tag];
        if (Object.keys(tags[name]!).length === 0) delete tags[name];
        await writeTags(tags);
        const freed = await collectGarbage(tags);
        log.info({ image: `${name}:${tag}`, ...freed }, 'image removed');
        return freed;
      }),
    async resolveManifest(name, reference) {
      const byTag = (await readTags())[name];
      if (!byTag) return undefined;
      let digest: string | undefined;
      if (DIGEST_RE.test(reference)) {
        for (const d of Object.values(byTag)) if ((await reach(d, new Set())).has(reference)) digest = reference;
      } else digest = byTag[reference];
      if (!digest) return undefined;
      const found = await blobs.locate(digest);
      if (!found) return undefined;
      return { digest, mediaType: mediaTypeOf(await readDoc(digest)), ...found };
    },
    async hasName(name) {
      return (await readTags())[name] !== undefined;
    },
  };
}

export async function removeTemp(path: string): Promise<void> {
  await rm(path, { force: true });
}
