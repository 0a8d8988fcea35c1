/** Reading request bodies and writing responses on plain node:http. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeRequestBody } from './request-body.js';
import { apiErrors } from './status.js';

export const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024;

/** Read the whole body, at most `limit` bytes (413 beyond). The rest of an oversized body is drained, not kept. */
export function readBodyBytes(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number.isFinite(declared) && declared > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      // A client that keeps sending far past the limit is cut off rather than drained forever.
      else if (size > limit * 4) req.destroy();
    });
    req.on('end', () => {
      if (tooLarge) reject(apiErrors.tooLarge(limit));
      else resolve(Buffer.concat(chunks));
    });
    req.on('close', () => {
      // Settles only if 'end' never came (client went away, or we cut it off); otherwise a no-op.
      if (tooLarge) reject(apiErrors.tooLarge(limit));
      else if (!req.complete) reject(apiErrors.badRequest('the client closed the connection before sending the whole body'));
    });
    req.on('error', (err) => reject(apiErrors.badRequest(`reading the request body failed: ${err.message}`)));
  });
}

/**
 * Read and decode a body by its Content-Type (JSON, YAML or Kubernetes protobuf: request-body.ts) into
 * its JSON object. `optional` bodies may be empty (then undefined).
 */
export async function readJsonBody(req: IncomingMessage, limit: number, optional = false): Promise<unknown> {
  return decodeRequestBody(req.headers['content-type'], await readBodyBytes(req, limit), optional);
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

export function sendText(res: ServerResponse, code: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

/** True when the peer is on this machine (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d+\.\d+\.\d+$/.test(v4);
}

/** Longest warning text sent; longer ones are cut (Kubernetes truncates warnings too). */
const MAX_WARNING_LENGTH = 1024;

/**
 * Add an RFC 7234 Warning header as Kubernetes sends them (`299 - "text"`), which kubectl prints as
 * `Warning: text`. Characters a header cannot carry become "?"; quotes and backslashes are escaped; a repeat is sent once.
 */
export function addWarning(res: ServerResponse, text: string): void {
  const cut = text.length > MAX_WARNING_LENGTH ? `${text.slice(0, MAX_WARNING_LENGTH - 3)}...` : text;
  const safe = cut.replace(/[^\x20-\x7e]/g, '?').replace(/[\\"]/g, (c) => `\\${c}`);
  const existing = res.getHeader('Warning');
  const values = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  const value = `299 - "${safe}"`;
  if (!values.includes(value)) res.setHeader('Warning', [...values, value]);
}
