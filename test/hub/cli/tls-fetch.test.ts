/** createCaFetch against a real HTTPS server with a hub CA: answers, bodies, refusals and aborts as fetch gives them. */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaFetch } from '../../../hub/cli/tls-fetch.js';
import { ensurePki } from '../../../hub/pki/index.js';
import { silentLogger } from '../../../protocol/logger.js';

describe('createCaFetch', () => {
  let dir: string;
  let server: Server;
  let base: string;
  let caFetch: typeof fetch;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-tls-fetch-'));
    const pki = await ensurePki({ dataDir: dir, logger: silentLogger() });
    server = createServer({ key: pki.serverKeyPem, cert: pki.serverChainPem }, (req, res) => {
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"type":"ADDED"}\n'); // and never ends
        return;
      }
      if (req.url === '/slow') return; // never answers
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        res.writeHead(201, { 'content-type': 'text/plain', 'x-two': ['a', 'b'] });
        res.end(`${req.method} ${body}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    caFetch = createCaFetch(pki.caCertPem);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it('sends the body and returns status, headers and text; Node fetch refuses the same server', async () => {
    const res = await caFetch(`${base}/x`, { method: 'POST', body: 'hello' });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-two')).toBe('a, b');
    expect(await res.text()).toBe('POST hello');
    await expect(fetch(`${base}/x`)).rejects.toThrow();
  });

  it('rejects with the AbortError (or the timeout) before the answer, and errors a body being read with it', async () => {
    await expect(caFetch(`${base}/slow`, { signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'TimeoutError' });
    const controller = new AbortController();
    const res = await caFetch(`${base}/stream`, { signal: controller.signal });
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of res.body!) {
        chunks.push(Buffer.from(chunk as Uint8Array).toString());
        controller.abort();
      }
    })();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    expect(chunks.join('')).toBe('{"type":"ADDED"}\n');
    const aborted = new AbortController();
    aborted.abort();
    await expect(caFetch(`${base}/x`, { signal: aborted.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails like fetch when nothing listens', async () => {
    await expect(caFetch('https://127.0.0.1:1/')).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });
});
