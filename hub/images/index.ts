export { createImageStore, removeTemp, type ImageStore, type ImageSummary, type PushSummary, type ResolvedManifest } from './image-store.js';
export { DIGEST_RE } from './blobs.js';
export { MEDIA } from './oci.js';
export * from './errors.js';
