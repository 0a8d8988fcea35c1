/**
 * A file answered with HTTP Range (RFC 9110 §14), for what devices download over slow links: the registry's
 * blobs (registry-v2.ts) and the agent bundles (device-endpoints.ts). One range at a time: `bytes=A-B`,
 * `bytes=A-`, `bytes=-N` get 206 with Content-Range; a range past the end gets 416 with `bytes *\/SIZE`;
 * several ranges, or a syntax this does not know, get the whole file (200), as the RFC allows.
 * With an ETag: `If-Range` naming another entity tag (or a date) gets the whole file, so a resumed
 * download never splices two versions; `If-None-Match` matching gets 304. HEAD answers the headers only.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

/** "bytes=START-", "bytes=START-END" or "bytes=-SUFFIX" (one range; undefined for anything else: answered whole). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/** An entity tag in its quoted form: `"x"` (a weak `W/"x"` never matches for ranges: strong comparison). */
const matchesTag = (header: string, etag: string) => header.split(',').some((t) => t.trim() === etag || t.trim() === '*');

export interface RangedFile {
  path: string;
  size: number;
  /** A strong entity tag, quoted (`"<sha256>"`). */
  etag?: string;
  /** Extra response headers (content-type, ...), lowercase names. */
  headers?: Record<string, string>;
}

export async function sendRangedFile(req: IncomingMessage, res: ServerResponse, file: RangedFile): Promise<void> {
  const { path, size, etag } = file;
  const headers: Record<string, string> = { ...file.headers, 'accept-ranges': 'bytes', ...(etag ? { etag } : {}) };
  const ifNoneMatch = req.headers['if-none-match'];
  if (etag && ifNoneMatch && matchesTag(ifNoneMatch, etag)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const ifRange = req.headers['if-range'] as string | undefined;
  const rangeAllowed = ifRange === undefined || (etag !== undefined && ifRange.trim() === etag);
  const range = rangeAllowed ? parseRange(req.headers.range, size) : undefined;
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': '0' });
    res.end();
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  res.writeHead(range ? 206 : 200, {
    ...headers,
    'content-length': String(size === 0 ? 0 : end - start + 1),
    ...(range ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
  });
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  await pipeline(createReadStream(path, { start, end }), res);
}
