import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePki, type Pki } from '../../../hub/pki/index.js';
import { silentLogger } from '../../../protocol/logger.js';
import { downloadBundle } from '../../../agent/upgrade/bundle-download.js';

const FILE = 'drover-agent-0.2.0-linux-amd64.tar.gz';
const BODY = randomBytes(256 * 1024);
let dir = '';
let pki: Pki;
let server: Server;
let port = 0;
const ranges: (string | undefined)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bundle-download-'));
  pki = await ensurePki({ dataDir: join(dir, 'hub'), logger: silentLogger() });
  let first = true;
  // the hub's /bundles/<file> in small: 200 or 206 from a Range; the first answer is cut halfway
  server = createServer({ key: pki.serverKeyPem, cert: pki.serverChainPem }, (req, res) => {
    ranges.push(req.headers.range);
    if (req.url !== `/bundles/${FILE}`) return void res.writeHead(404).end();
    const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const part = BODY.subarray(from);
    res.writeHead(from ? 206 : 200, { 'content-length': part.length, ...(from ? { 'content-range': `bytes ${from}-${BODY.length - 1}/${BODY.length}` } : {}) });
    if (first) {
      first = false;
      res.write(part.subarray(0, 100_000), () => res.socket?.destroy());
      return;
    }
    res.end(part);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the bundle download', () => {
  it('resumes with a Range after a cut, verifying the hub with its CA, and ends with the whole file', async () => {
    const path = await downloadBundle({ host: `127.0.0.1:${port}`, caPem: pki.caCertPem, file: FILE, size: BODY.length, dir: join(dir, 'dl'), logger: silentLogger(), retryDelayMs: 10 });
    expect((await readFile(path)).equals(BODY)).toBe(true);
    expect(ranges[0]).toBeUndefined();
    expect(ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(ranges[1]!)![0])).toBeGreaterThan(0);
  });

  it('refuses a hub whose certificate the pinned CA did not sign, and names a bundle the hub lacks', async () => {
    const other = await ensurePki({ dataDir: join(dir, 'other'), logger: silentLogger() });
    await expect(downloadBundle({ host: `127.0.0.1:${port}`, caPem: other.caCertPem, file: FILE, size: BODY.length, dir: join(dir, 'dl2'), logger: silentLogger(), attempts: 2, retryDelayMs: 10 })).rejects.toMatchObject({ code: 'EAGENT_BUNDLE_DOWNLOAD' });
    await expect(downloadBundle({ host: `127.0.0.1:${port}`, caPem: pki.caCertPem, file: 'drover-agent-9.9.9-linux-amd64.tar.gz', size: 10, dir: join(dir, 'dl3'), logger: silentLogger() })).rejects.toThrow('the hub has no such bundle (404)');
  });
});
