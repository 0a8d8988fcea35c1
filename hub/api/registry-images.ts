/**
 * The image endpoints of the hub's HTTPS listener: the read-only registry (`/v2/...`, registry-v2.ts)
 * and Drover's own push/list/remove under `/apis/drover.io/v1/images`:
 *   POST   /apis/drover.io/v1/images          body: an image archive (docker save or OCI layout), admin only
 *   GET    /apis/drover.io/v1/images          { items: [ImageSummary] }
 *   DELETE /apis/drover.io/v1/images/NAME:TAG  (NAME URL-encoded) frees the blobs no tag reaches any more
 * An upload goes to a temp file first and is read from there: a connection cut halfway stores nothing.
 */
import { createWriteStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../protocol/logger.js';
import { DroverError } from '../../protocol/errors.js';
import { removeTemp, type ImageStore } from '../images/index.js';
import { sendJson } from './http-io.js';
import { imageCaller, type ImageAuth } from './registry-auth.js';
import { handleRegistryV2, sendRegistryError } from './registry-v2.js';
import { ApiError, failureStatus, successStatus, toApiError } from './status.js';

export const IMAGES_API_PATH = '/apis/drover.io/v1/images';
/** Largest archive a push may send (default 8 GiB). */
export const DEFAULT_MAX_PUSH_BYTES = 8 * 1024 ** 3;

export interface ImageEndpointsOptions {
  images: ImageStore;
  auth: ImageAuth;
  logger: Logger;
  maxPushBytes?: number;
}

export interface ImageEndpoints {
  matches(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

const httpCodeOf = (err: DroverError): number =>
  err.code === 'EIMAGES_NOT_FOUND' ? 404 : err.code.startsWith('EIMAGES_') ? 400 : 500;

export function createImageEndpoints(opts: ImageEndpointsOptions): ImageEndpoints {
  const { images, logger } = opts;
  const maxPush = opts.maxPushBytes ?? DEFAULT_MAX_PUSH_BYTES;

  async function receive(req: IncomingMessage): Promise<string> {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > maxPush) throw new ApiError('RequestEntityTooLarge', `the archive is larger than the limit of ${maxPush} bytes`);
    const tmp = await images.tempFile();
    let seen = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        cb(seen > maxPush ? new ApiError('RequestEntityTooLarge', `the archive is larger than the limit of ${maxPush} bytes`) : null, chunk);
      },
    });
    try {
      await pipeline(req, limit, createWriteStream(tmp, { mode: 0o600 }));
      if (Number.isFinite(declared) && seen !== declared) throw new ApiError('BadRequest', `the upload ended after ${seen} of ${declared} bytes`);
      return tmp;
    } catch (err) {
      await removeTemp(tmp);
      throw err;
    }
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, admin: boolean): Promise<void> {
    const method = req.method ?? 'GET';
    const rest = url.pathname.slice(IMAGES_API_PATH.length).replace(/^\//, '');
    if (method === 'GET' && rest === '') {
      sendJson(res, 200, { kind: 'ImageList', apiVersion: 'drover.io/v1', items: await images.list() });
      return;
    }
    if (method !== 'GET' && !admin) throw new ApiError('Forbidden', 'images are pushed and removed with an admin token only');
    if (method === 'POST' && rest === '') {
      const started = performance.now();
      const tmp = await receive(req);
      try {
        const pushed = await images.push(tmp);
        sendJson(res, 201, { kind: 'ImagePush', apiVersion: 'drover.io/v1', ...pushed, seconds: (performance.now() - started) / 1000 });
      } finally {
        await removeTemp(tmp);
      }
      return;
    }
    if (method === 'DELETE' && rest !== '') {
      const freed = await images.remove(decodeURIComponent(rest));
      sendJson(res, 200, { ...successStatus(), details: { name: decodeURIComponent(rest), kind: 'images' }, ...freed });
      return;
    }
    throw new ApiError('MethodNotAllowed', `${method} is not allowed on ${url.pathname}`);
  }

  return {
    matches: (pathname) => pathname === '/v2' || pathname.startsWith('/v2/') || pathname === IMAGES_API_PATH || pathname.startsWith(`${IMAGES_API_PATH}/`),
    async handle(req, res, url) {
      const registry = url.pathname === '/v2' || url.pathname.startsWith('/v2/');
      const caller = await imageCaller(opts.auth, req);
      if (!caller) {
        res.setHeader('WWW-Authenticate', 'Basic realm="drover"');
        if (registry) sendRegistryError(res, 401, 'UNAUTHORIZED', 'authentication required: a node credential or an API token');
        else sendJson(res, 401, failureStatus('Unauthorized', 'Unauthorized: send "Authorization: Bearer <token>"'));
        return;
      }
      try {
        if (registry) await handleRegistryV2(req, res, url.pathname, images);
        else if (caller.kind === 'node') throw new ApiError('Forbidden', `node ${caller.node} may pull images from /v2/, not use the image API`);
        else await handleApi(req, res, url, caller.admin);
      } catch (err) {
        if (res.headersSent) {
          logger.warn({ err, path: url.pathname }, 'image response failed halfway');
          res.destroy();
          return;
        }
        if (err instanceof DroverError && err.code.startsWith('EIMAGES_')) {
          const code = httpCodeOf(err);
          logger.info({ path: url.pathname, code: err.code, message: err.message }, 'image request refused');
          if (registry) sendRegistryError(res, code, code === 404 ? 'NAME_UNKNOWN' : 'UNSUPPORTED', err.message);
          else sendJson(res, code, failureStatus(code === 404 ? 'NotFound' : 'BadRequest', err.message));
          return;
        }
        const apiError = toApiError(err);
        if (apiError.httpCode >= 500) logger.error({ err, path: url.pathname }, 'image request failed');
        sendJson(res, apiError.httpCode, apiError.toStatus());
      }
    },
  };
}
