/**
 * Image archives built in the test, as install/build-test-image.sh builds them (busybox-static, no daemon,
 * no network): a base layer with busybox, optional extra layers of small files, a config naming the
 * architecture. OCI layout with index.json (and docker's manifest.json) or the classic docker-save form.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TAR_FLAGS = ['--sort=name', '--mtime=2024-01-01 00:00Z', '--owner=0', '--group=0', '--numeric-owner'];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function layerOfDir(dir: string, out: string): Promise<Buffer> {
  execFileSync('tar', [...TAR_FLAGS, '-C', dir, '-cf', out, '.']);
  return readFile(out);
}

/** The busybox layer (bytes identical on every call: shared between the images built from it). */
export async function busyboxLayer(work: string): Promise<Buffer> {
  const root = join(work, 'busybox-root');
  if (!existsSync(root)) {
    await mkdir(join(root, 'bin'), { recursive: true });
    await mkdir(join(root, 'etc'), { recursive: true });
    await cp('/bin/busybox', join(root, 'bin', 'busybox'));
    for (const applet of ['sh', 'sleep', 'cat', 'echo', 'ls']) await symlink('busybox', join(root, 'bin', applet));
    await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  }
  return layerOfDir(root, join(work, 'busybox-layer.tar'));
}

export interface ArchiveOptions {
  work: string;
  tags: string[];
  arch?: string;
  /** Files of a second layer (path -> content). */
  extra?: Record<string, string>;
  format?: 'oci' | 'docker';
  cmd?: string[];
}

/** Writes the archive and returns its path. */
export async function buildArchive(o: ArchiveOptions): Promise<string> {
  const id = Math.random().toString(36).slice(2, 10);
  const out = join(o.work, `out-${id}`);
  await mkdir(join(out, 'blobs', 'sha256'), { recursive: true });
  const layers = [await busyboxLayer(o.work)];
  if (o.extra) {
    const dir = join(o.work, `extra-${id}`);
    for (const [p, content] of Object.entries(o.extra)) {
      await mkdir(join(dir, p, '..'), { recursive: true });
      await writeFile(join(dir, p), content);
    }
    layers.push(await layerOfDir(dir, join(o.work, `extra-${id}.tar`)));
  }
  const put = async (b: Buffer) => {
    const hex = sha(b);
    await writeFile(join(out, 'blobs', 'sha256', hex), b);
    return { digest: `sha256:${hex}`, size: b.length, hex };
  };
  const layerBlobs = await Promise.all(layers.map(put));
  const config = Buffer.from(JSON.stringify({
    architecture: o.arch ?? 'amd64', os: 'linux',
    config: { Env: ['PATH=/bin'], Cmd: o.cmd ?? ['/bin/sh'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: layerBlobs.map((l) => l.digest) },
    created: '2024-01-01T00:00:00Z',
  }));
  const configBlob = await put(config);
  if (o.format === 'docker') {
    // classic docker save: <id>/layer.tar, <config hex>.json, manifest.json
    await rm(join(out, 'blobs'), { recursive: true });
    const layerPaths: string[] = [];
    for (const [i, l] of layers.entries()) {
      await mkdir(join(out, `${layerBlobs[i]!.hex}`), { recursive: true });
      await writeFile(join(out, layerBlobs[i]!.hex, 'layer.tar'), l);
      layerPaths.push(`${layerBlobs[i]!.hex}/layer.tar`);
    }
    await writeFile(join(out, `${configBlob.hex}.json`), config);
    await writeFile(join(out, 'manifest.json'), JSON.stringify([{ Config: `${configBlob.hex}.json`, RepoTags: o.tags, Layers: layerPaths }]));
  } else {
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configBlob.digest, size: configBlob.size },
      layers: layerBlobs.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.size })),
    }));
    const m = await put(manifest);
    await writeFile(join(out, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: o.tags.map((t) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: m.digest, size: m.size,
        annotations: { 'io.containerd.image.name': t, 'org.opencontainers.image.ref.name': t.slice(t.lastIndexOf(':') + 1) } })),
    }));
    await writeFile(join(out, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  }
  const path = join(o.work, `image-${id}.tar`);
  execFileSync('tar', ['-C', out, '-cf', path, '.']);
  await rm(out, { recursive: true });
  return path;
}

export const workDir = () => mkdtemp(join(tmpdir(), 'images-'));
export const fileSize = async (p: string) => (await stat(p)).size;
