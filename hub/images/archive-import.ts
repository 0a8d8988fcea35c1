/**
 * Reads an image archive (a file already on disk) into the blob store: an OCI image layout (index.json,
 * blobs/sha256/...; what `docker save` writes from Docker 25 and install/build-test-image.sh writes) or a
 * classic docker-save archive (manifest.json with Config/Layers/RepoTags; Docker 20-24), for which an OCI
 * manifest is written. Blobs already in the store are not written again. Returns the tags the archive names.
 */
import { open } from 'node:fs/promises';
import type { BlobStore } from './blobs.js';
import { BadImageArchiveError } from './errors.js';
import { MEDIA, type Descriptor, type ManifestDoc, isIndexType, mediaTypeOf } from './oci.js';
import { readTarIndex, tarPath, type TarEntry } from './tar-index.js';

export interface ImportedTag {
  /** The reference as the archive names it, e.g. "my-app:1.0". */
  ref: string;
  digest: string;
  mediaType: string;
  size: number;
}

export interface ImportResult {
  tags: ImportedTag[];
  blobsStored: number;
  bytesStored: number;
  blobsShared: number;
}

interface DockerSaveEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function readEntry(path: string, entry: TarEntry): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(entry.size);
    await fh.read(buf, 0, entry.size, entry.offset);
    return buf;
  } finally {
    await fh.close();
  }
}

function parseJson<T>(buf: Buffer, what: string): T {
  try {
    return JSON.parse(buf.toString('utf8')) as T;
  } catch (err) {
    throw new BadImageArchiveError(`${what} is not JSON`, { cause: err });
  }
}

export async function importArchive(blobs: BlobStore, path: string): Promise<ImportResult> {
  const entries = await readTarIndex(path);
  const result: ImportResult = { tags: [], blobsStored: 0, bytesStored: 0, blobsShared: 0 };
  const store = async (entryPath: string, expected?: string): Promise<string> => {
    const entry = entries.get(tarPath(entryPath));
    if (!entry) throw new BadImageArchiveError(`${entryPath} is missing from the archive`);
    const { digest, stored } = await blobs.putRange(path, entry.offset, entry.size, expected);
    if (stored) {
      result.blobsStored++;
      result.bytesStored += entry.size;
    } else result.blobsShared++;
    return digest;
  };
  const blobPath = (digest: string) => `blobs/${digest.replace(':', '/')}`;

  const indexEntry = entries.get('index.json');
  const index = indexEntry ? parseJson<ManifestDoc>(await readEntry(path, indexEntry), 'index.json') : undefined;
  const named = (index?.manifests ?? []).filter((d) => d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name']?.includes(':'));
  if (index && named.length > 0) {
    const walk = async (d: Descriptor): Promise<void> => {
      await store(blobPath(d.digest), d.digest);
      if (d.mediaType.includes('layer') || d.mediaType.endsWith('config.v1+json') || d.mediaType.endsWith('container.image.v1+json')) return;
      const doc = parseJson<ManifestDoc>(await readEntry(path, entries.get(blobPath(d.digest))!), `manifest ${d.digest}`);
      for (const child of [...(doc.manifests ?? []), ...(doc.config ? [doc.config] : []), ...(doc.layers ?? [])]) {
        // an index may list platforms the archive does not carry (docker save of one platform): skip those
        if (isIndexType(mediaTypeOf(doc)) && !entries.has(blobPath(child.digest))) continue;
        await walk(child);
      }
    };
    for (const d of named) {
      await walk(d);
      const ref = d.annotations!['io.containerd.image.name'] ?? d.annotations!['org.opencontainers.image.ref.name']!;
      result.tags.push({ ref, digest: d.digest, mediaType: d.mediaType, size: d.size });
    }
    return result;
  }

  const dockerEntry = entries.get('manifest.json');
  if (!dockerEntry) throw new BadImageArchiveError('it has neither an index.json naming its images nor a manifest.json (docker save)');
  const saved = parseJson<DockerSaveEntry[]>(await readEntry(path, dockerEntry), 'manifest.json');
  if (!Array.isArray(saved) || saved.length === 0) throw new BadImageArchiveError('manifest.json lists no image');
  for (const image of saved) {
    if (!image.RepoTags?.length) continue;
    const configDigest = await store(image.Config);
    const config: Descriptor = { mediaType: MEDIA.ociConfig, digest: configDigest, size: entries.get(tarPath(image.Config))!.size };
    const layers: Descriptor[] = [];
    for (const layer of image.Layers) {
      const entry = entries.get(tarPath(layer));
      if (!entry) throw new BadImageArchiveError(`${layer} is missing from the archive`);
      const head = await readEntry(path, { offset: entry.offset, size: Math.min(2, entry.size) });
      const gzip = head[0] === 0x1f && head[1] === 0x8b;
      layers.push({ mediaType: gzip ? MEDIA.ociLayerGzip : MEDIA.ociLayer, digest: await store(layer), size: entry.size });
    }
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers }));
    const digest = await blobs.putBytes(manifest);
    for (const ref of image.RepoTags) result.tags.push({ ref, digest, mediaType: MEDIA.ociManifest, size: manifest.length });
  }
  if (result.tags.length === 0) throw new BadImageArchiveError('no image in it has a name (docker save NAME:TAG, not an image id)');
  return result;
}
