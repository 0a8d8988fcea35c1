import { describe, expect, it } from 'vitest';
import { parseCtrImageList, parseDockerImageInspect } from '../../runtime-adapters/image-list.js';

describe('parseCtrImageList', () => {
  const text = [
    'REF                          TYPE                                                 DIGEST                                                                  SIZE      PLATFORMS                                                   LABELS ',
    'drover.local/busybox:test    application/vnd.oci.image.manifest.v1+json           sha256:99bcc5d6e5c0b3d5632d8dd9f7cd14f541062f4e637807b3506e25e5c660d19d 2.0 MiB   linux/amd64                                                 -      ',
    'docker.io/library/nginx:1.27 application/vnd.oci.image.index.v1+json              sha256:aaaa5d6e5c0b3d5632d8dd9f7cd14f541062f4e637807b3506e25e5c660d19d 67.5 MiB  linux/386,linux/amd64,linux/arm/v7,linux/arm64/v8,unknown/unknown io.cri-containerd.image=managed',
    'sha256:99bcc5d6e5c0b3d5632d8dd9f7cd14f541062f4e637807b3506e25e5c660d19d application/vnd.oci.image.manifest.v1+json sha256:99bcc5d6e5c0b3d5632d8dd9f7cd14f541062f4e637807b3506e25e5c660d19d 2.0 MiB linux/amd64 -',
    'registry.local/broken:1      application/vnd.oci.image.manifest.v1+json           sha256:bbbb5d6e5c0b3d5632d8dd9f7cd14f541062f4e637807b3506e25e5c660d19d 512 B     -                                                           -',
    '',
  ].join('\n');

  it('reads names, sizes and every platform of an index, leaving out digest-only refs and attestations', () => {
    expect(parseCtrImageList(text)).toEqual([
      { name: 'drover.local/busybox:test', sizeBytes: 2 * 1024 * 1024, platforms: ['linux/amd64'] },
      {
        name: 'docker.io/library/nginx:1.27',
        sizeBytes: Math.round(67.5 * 1024 * 1024),
        platforms: ['linux/386', 'linux/amd64', 'linux/arm/v7', 'linux/arm64/v8'],
      },
      { name: 'registry.local/broken:1', sizeBytes: 512 },
    ]);
  });

  it('returns nothing for a header-only listing', () => {
    expect(parseCtrImageList('REF TYPE DIGEST SIZE PLATFORMS LABELS\n')).toEqual([]);
  });
});

describe('parseDockerImageInspect', () => {
  it('reports one entry per tag; the platform only for images that never came from a registry', () => {
    const json = JSON.stringify([
      { RepoTags: ['drover.local/arm:test', 'drover.local/arm:latest'], RepoDigests: [], Os: 'linux', Architecture: 'arm', Variant: 'v7', Size: 100 },
      { RepoTags: ['nginx:1.27'], RepoDigests: ['nginx@sha256:abc'], Os: 'linux', Architecture: 'amd64', Size: 200 },
      { RepoTags: [], RepoDigests: null, Os: 'linux', Architecture: 'amd64', Size: 300 },
      { RepoTags: null, Os: 'linux', Architecture: 'amd64' },
    ]);
    expect(parseDockerImageInspect(json)).toEqual([
      { name: 'drover.local/arm:test', sizeBytes: 100, platforms: ['linux/arm/v7'] },
      { name: 'drover.local/arm:latest', sizeBytes: 100, platforms: ['linux/arm/v7'] },
      { name: 'nginx:1.27', sizeBytes: 200 },
    ]);
  });
});
