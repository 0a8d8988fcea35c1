/**
 * Fetch an agent bundle from the hub's GET /bundles/<file> over HTTPS (verified against the hub CA pinned at
 * join), into <dir>/<file>.part, resuming with `Range: bytes=N-` after a cut (206 appends, 200 starts again,
 * 416 with the whole file there is done), up to `attempts` times. Integrity is checked afterwards
 * (bundle-verify.ts); this only gets the bytes.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../../protocol/logger.js';
import { BundleDownloadError } from '../errors.js';

export interface BundleDownloadOptions {
  /** The hub's HTTPS listener, "host:port". */
  host: string;
  caPem: string;
  file: string;
  size: number;
  dir: string;
  logger: Logger;
  attempts?: number;
  retryDelayMs?: number;
  timeoutMs?: number;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

function splitHost(host: string): { hostname: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(host);
  if (!m) return { hostname: host, port: 443 };
  return { hostname: m[1]!, port: Number(m[2]) };
}

/** Download (or finish downloading) the bundle; resolves with the complete file's path. */
export async function downloadBundle(opts: BundleDownloadOptions): Promise<string> {
  const { request } = await import('node:https');
  const log = opts.logger.child({ component: 'bundle-download' });
  const attempts = opts.attempts ?? 5;
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const part = join(opts.dir, `${opts.file}.part`);
  const done = join(opts.dir, opts.file);
  const { hostname, port } = splitHost(opts.host);
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const have = await sizeOf(part);
    if (have > opts.size) await rm(part, { force: true });
    const from = have > opts.size ? 0 : have;
    if (from === opts.size) break;
    try {
      const res = await new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(
          {
            hostname,
            port,
            path: `/bundles/${encodeURIComponent(opts.file)}`,
            ca: opts.caPem,
            headers: from > 0 ? { range: `bytes=${from}-` } : {},
            timeout: opts.timeoutMs ?? 30_000,
          },
          resolve,
        );
        req.on('timeout', () => req.destroy(new Error('no answer in time')));
        req.on('error', reject);
        req.end();
      });
      if (res.statusCode === 416) {
        res.resume();
        await rm(part, { force: true });
        throw new Error('the hub refused the range (416): starting again');
      }
      if (res.statusCode !== 200 && res.statusCode !== 206) {
        res.resume();
        if (res.statusCode === 404) throw new BundleDownloadError(opts.file, 'the hub has no such bundle (404)');
        throw new Error(`HTTP ${res.statusCode}`);
      }
      const append = res.statusCode === 206 && from > 0;
      if (append) log.info({ file: opts.file, from }, 'resuming the bundle download');
      await pipeline(res, createWriteStream(part, { flags: append ? 'a' : 'w', mode: 0o600 }));
      if ((await sizeOf(part)) >= opts.size) break;
      throw new Error(`the download ended at ${await sizeOf(part)} of ${opts.size} bytes`);
    } catch (err) {
      if (err instanceof BundleDownloadError) throw err;
      lastError = err;
      log.warn({ file: opts.file, attempt, err: (err as Error).message }, 'bundle download interrupted');
      if (attempt < attempts) await new Promise((r) => setTimeout(r, opts.retryDelayMs ?? 1000));
    }
  }
  const got = await sizeOf(part);
  if (got !== opts.size) {
    throw new BundleDownloadError(opts.file, `${got} of ${opts.size} bytes after ${attempts} attempts (${(lastError as Error | undefined)?.message ?? 'no answer'})`, { cause: lastError });
  }
  await rename(part, done);
  return done;
}
