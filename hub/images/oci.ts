/** The OCI / Docker image documents the store reads and writes, and image references (NAME[:TAG]). */
import { BadImageReferenceError } from './errors.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ManifestDoc {
  schemaVersion: 2;
  mediaType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
}

export const isIndexType = (mediaType: string): boolean => mediaType === MEDIA.ociIndex || mediaType === MEDIA.dockerList;

/** The media type of a manifest or index document (its own field, else by shape). */
export function mediaTypeOf(doc: ManifestDoc): string {
  return doc.mediaType ?? (doc.manifests ? MEDIA.ociIndex : MEDIA.ociManifest);
}

export const platformString = (p: Platform): string => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

const NAME_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export const isImageName = (name: string): boolean => name.length <= 255 && NAME_RE.test(name);
export const isTag = (tag: string): boolean => TAG_RE.test(tag);

/** "my-app:1.0" -> { name: "my-app", tag: "1.0" }; no tag is "latest"; "host:5000/x" keeps its port. */
export function parseImageRef(ref: string): { name: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? ref.slice(0, colon) : ref;
  const tag = hasTag ? ref.slice(colon + 1) : 'latest';
  if (ref.includes('@')) throw new BadImageReferenceError(ref, 'digest references are not taken here: use NAME:TAG');
  if (!isImageName(name)) throw new BadImageReferenceError(ref, 'the name must be lowercase letters, digits and . _ - separated by /');
  if (!isTag(tag)) throw new BadImageReferenceError(ref, 'the tag must be up to 128 letters, digits, _ . -');
  return { name, tag };
}
