/**
 * The hub's image store served read-only as an OCI Distribution registry (pull side of the spec):
 * `GET /v2/`, `HEAD|GET /v2/<name>/manifests/<tag|digest>` with the manifest's media type and
 * `Docker-Content-Digest`, `HEAD|GET /v2/<name>/blobs/<digest>` with `Range` (206, so an interrupted
 * layer download resumes). Errors in the spec's `{"errors":[{code,message}]}` form. containerd and Docker
 * on a device pull from here themselves: only the layers they lack cross the link.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ImageStore } from '../images/index.js';
import { DIGEST_RE } from '../images/index.js';
import { sendRangedFile } from './ranged-file.js';

const V2_PATH = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/;

export function sendRegistryError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ code, message }] });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'docker-distribution-api-version': 'registry/2.0' });
  res.end(body);
}

async function sendFile(req: IncomingMessage, res: ServerResponse, path: string, size: number, headers: Record<string, string>): Promise<void> {
  const { etag, ...rest } = headers;
  await sendRangedFile(req, res, { path, size, headers: rest, ...(etag ? { etag } : {}) });
}

/** Answer a /v2/ request (the caller already authenticated it). */
export async function handleRegistryV2(req: IncomingMessage, res: ServerResponse, pathname: string, images: ImageStore): Promise<void> {
  const method = req.method ?? 'GET';
  const common = { 'docker-distribution-api-version': 'registry/2.0' };
  if (method !== 'GET' && method !== 'HEAD') {
    sendRegistryError(res, 405, 'UNSUPPORTED', 'the hub registry is read-only: push with `drover image push`');
    return;
  }
  if (pathname === '/v2/' || pathname === '/v2') {
    res.writeHead(200, { ...common, 'content-type': 'application/json', 'content-length': '2' });
    res.end(method === 'HEAD' ? undefined : '{}');
    return;
  }
  const m = V2_PATH.exec(pathname);
  if (!m) {
    sendRegistryError(res, 404, 'NAME_UNKNOWN', `no such registry path ${pathname}`);
    return;
  }
  const [, name, what, reference] = m as unknown as [string, string, 'manifests' | 'blobs', string];
  if (!(await images.hasName(name))) {
    sendRegistryError(res, 404, 'NAME_UNKNOWN', `repository ${name} not known to the hub`);
    return;
  }
  if (what === 'manifests') {
    const found = await images.resolveManifest(name, reference);
    if (!found) {
      sendRegistryError(res, 404, 'MANIFEST_UNKNOWN', `manifest unknown: ${name}:${reference}`);
      return;
    }
    await sendFile(req, res, found.path, found.size, { ...common, 'content-type': found.mediaType, 'docker-content-digest': found.digest, etag: `"${found.digest}"` });
    return;
  }
  const blob = DIGEST_RE.test(reference) ? await images.blobs.locate(reference) : undefined;
  if (!blob) {
    sendRegistryError(res, 404, 'BLOB_UNKNOWN', `blob unknown to registry: ${reference}`);
    return;
  }
  await sendFile(req, res, blob.path, blob.size, { ...common, 'content-type': 'application/octet-stream', 'docker-content-digest': reference, etag: `"${reference}"` });
}
