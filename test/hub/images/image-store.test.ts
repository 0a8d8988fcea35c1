/**
 * The hub's image store on real files: archives built from busybox-static (image-archives.ts), pushed,
 * listed, removed; layers stored once across images and architectures; bad archives refused whole.
 */
import { readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { createImageStore, type ImageStore } from '../../../hub/images/index.js';
import { buildArchive, fileSize, workDir } from './image-archives.js';

let work: string;
let store: ImageStore;
const blobCount = async () => (await readdir(join(work, 'hub', 'images', 'blobs', 'sha256'))).length;

beforeAll(async () => {
  work = await workDir();
  store = createImageStore({ dataDir: join(work, 'hub'), logger: silentLogger() });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('image store', () => {
  it('stores a layer two images share once, and the second push stores only what is new', async () => {
    const a = await buildArchive({ work, tags: ['images-app:1.0'], extra: { 'app/a.txt': 'a' } });
    const b = await buildArchive({ work, tags: ['images-other:2.0'], extra: { 'app/b.txt': 'b' } });
    const first = await store.push(a);
    expect(first.blobsStored).toBe(4); // busybox layer, app layer, config, manifest
    const afterFirst = await blobCount();
    const second = await store.push(b);
    expect(second.blobsShared).toBe(1); // the busybox layer
    expect(second.blobsStored).toBe(3);
    expect(second.bytesStored).toBeLessThan(first.bytesStored / 10);
    expect(await blobCount()).toBe(afterFirst + 3);
    const list = await store.list();
    expect(list.map((i) => `${i.name}:${i.tag}`)).toEqual(['images-app:1.0', 'images-other:2.0']);
    expect(list[0]!.platforms).toEqual(['linux/amd64']);
    expect(list[0]!.sizeBytes).toBeGreaterThan(await fileSize('/bin/busybox'));
  });

  it('merges two architectures of one name into an index that shares their layers', async () => {
    const amd = await buildArchive({ work, tags: ['images-multi:1'], arch: 'amd64' });
    const arm = await buildArchive({ work, tags: ['images-multi:1'], arch: 'arm64' });
    await store.push(amd);
    const before = await blobCount();
    const pushed = await store.push(arm);
    expect(pushed.blobsShared).toBe(1);
    const multi = (await store.list()).find((i) => i.name === 'images-multi')!;
    expect(multi.platforms.sort()).toEqual(['linux/amd64', 'linux/arm64']);
    expect(multi.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(await blobCount()).toBe(before + 3); // arm config, arm manifest, the index
    // the same platform pushed again replaces its entry, it does not add one
    await store.push(await buildArchive({ work, tags: ['images-multi:1'], arch: 'arm64', cmd: ['/bin/sleep', '1'] }));
    expect((await store.list()).find((i) => i.name === 'images-multi')!.platforms.sort()).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('reads the classic docker-save form (manifest.json, <id>/layer.tar)', async () => {
    const pushed = await store.push(await buildArchive({ work, tags: ['images-docker:1', 'images-docker:latest'], format: 'docker' }));
    expect(pushed.images.map((i) => i.tag)).toEqual(['1', 'latest']);
    expect(pushed.blobsShared).toBe(2); // the busybox layer, and the config images-multi's amd64 image has byte for byte
    const resolved = await store.resolveManifest('images-docker', '1');
    expect(resolved?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(await store.resolveManifest('images-docker', resolved!.digest)).toMatchObject({ digest: resolved!.digest });
  });

  it('rm frees the blobs no other tag reaches, and keeps shared ones', async () => {
    const before = await blobCount();
    const freed = await store.remove('images-other:2.0');
    expect(freed.freedBlobs).toBe(3);
    expect(await blobCount()).toBe(before - 3);
    expect(await store.resolveManifest('images-app', '1.0')).toBeDefined();
    await expect(store.remove('images-other:2.0')).rejects.toMatchObject({ code: 'EIMAGES_NOT_FOUND' });
  });

  it('refuses a truncated archive, a damaged blob and a file that is no archive, storing nothing', async () => {
    const before = await blobCount();
    const cut = await buildArchive({ work, tags: ['images-cut:1'], extra: { 'x.txt': 'x'.repeat(100_000) } });
    await truncate(cut, Math.floor((await fileSize(cut)) / 2));
    await expect(store.push(cut)).rejects.toMatchObject({ code: 'EIMAGES_BAD_ARCHIVE' });
    const junk = join(work, 'junk.tar');
    await writeFile(junk, 'this is not a tar archive'.repeat(100));
    await expect(store.push(junk)).rejects.toMatchObject({ code: 'EIMAGES_BAD_ARCHIVE' });
    expect(await blobCount()).toBe(before);
    expect((await store.list()).some((i) => i.name === 'images-cut')).toBe(false);
    await expect(store.remove('Bad Name')).rejects.toMatchObject({ code: 'EIMAGES_BAD_REFERENCE' });
  });
});
