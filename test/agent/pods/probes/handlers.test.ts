import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runExecProbe } from '../../../../agent/pods/probes/exec.js';
import { PROBE_USER_AGENT, probeUrl, runHttpGetProbe } from '../../../../agent/pods/probes/http-get.js';
import { runTcpSocketProbe } from '../../../../agent/pods/probes/tcp-socket.js';
import { createFakeRuntime, type FakeRuntime } from '../../../../runtime-adapters/fake/fake.js';
import { tempDir } from '../../helpers.js';

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

describe('httpGet probe (real HTTP server on 127.0.0.1)', () => {
  let server: Server;
  let port: number;
  let lastHeaders: IncomingHttpHeaders = {};
  let lastPath = '';

  beforeEach(async () => {
    server = createHttpServer((req, res) => {
      lastHeaders = req.headers;
      lastPath = req.url ?? '';
      const code = Number(/\/status\/(\d+)/.exec(req.url ?? '')?.[1] ?? 200);
      if (req.url === '/slow') return; // never answers
      if (code === 302) res.setHeader('Location', '/elsewhere');
      res.statusCode = code;
      res.end('body');
    });
    port = await listen(server);
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const target = (path: string, extra: Partial<Parameters<typeof runHttpGetProbe>[0]> = {}) =>
    ({ scheme: 'HTTP' as const, host: '127.0.0.1', port, path, headers: [], timeoutMs: 1000, ...extra });

  it('succeeds on 200..399 and fails otherwise with the status code', async () => {
    expect(await runHttpGetProbe(target('/status/200'))).toMatchObject({ success: true });
    expect(await runHttpGetProbe(target('/status/302'))).toMatchObject({ success: true });
    expect(await runHttpGetProbe(target('/status/399'))).toMatchObject({ success: true });
    expect(await runHttpGetProbe(target('/status/500'))).toEqual({ success: false, output: 'HTTP probe failed with statuscode: 500' });
    expect(await runHttpGetProbe(target('/status/404'))).toEqual({ success: false, output: 'HTTP probe failed with statuscode: 404' });
  });

  it('sends the path, the default headers and the probe headers (Host, overriding User-Agent)', async () => {
    await runHttpGetProbe(target('healthz?x=1'));
    expect(lastPath).toBe('/healthz?x=1');
    expect(lastHeaders['user-agent']).toBe(PROBE_USER_AGENT);
    expect(lastHeaders.accept).toBe('*/*');
    await runHttpGetProbe(
      target('/', { headers: [{ name: 'Host', value: 'web.example' }, { name: 'user-agent', value: 'mine' }, { name: 'X-Probe', value: '1' }] }),
    );
    expect(lastHeaders.host).toBe('web.example');
    expect(lastHeaders['user-agent']).toBe('mine');
    expect(lastHeaders['x-probe']).toBe('1');
  });

  it('fails on a refused connection and on a timeout', async () => {
    const closed = await closedPort();
    const refused = await runHttpGetProbe(target('/', { port: closed }));
    expect(refused.success).toBe(false);
    expect(refused.output).toContain(`Get "http://127.0.0.1:${closed}/"`);
    expect(refused.output).toContain('ECONNREFUSED');
    const slow = await runHttpGetProbe(target('/slow', { timeoutMs: 200 }));
    expect(slow.success).toBe(false);
    expect(slow.output).toContain('Client.Timeout exceeded');
  });

  it('writes IPv6 hosts in brackets', () => {
    expect(probeUrl({ scheme: 'HTTP', host: '::1', port: 80, path: '/x' })).toBe('http://[::1]:80/x');
  });
});

describe('httpGet probe over HTTPS (self-signed certificate, not checked)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('succeeds against a server whose certificate no one signed', async () => {
    await execa('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=probe']);
    const server = createHttpsServer({ key: await readFile(join(dir, 'key.pem')), cert: await readFile(join(dir, 'cert.pem')) }, (_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    const port = await listen(server);
    try {
      const outcome = await runHttpGetProbe({ scheme: 'HTTPS', host: '127.0.0.1', port, path: '/', headers: [], timeoutMs: 2000 });
      expect(outcome).toMatchObject({ success: true });
      const plain = await runHttpGetProbe({ scheme: 'HTTP', host: '127.0.0.1', port, path: '/', headers: [], timeoutMs: 2000 });
      expect(plain.success).toBe(false); // HTTP against a TLS port is not a success
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('tcpSocket probe (real TCP listener)', () => {
  it('succeeds when the port accepts, fails when it refuses', async () => {
    const server = createTcpServer((s) => s.end());
    const port = await listen(server);
    try {
      expect(await runTcpSocketProbe({ host: '127.0.0.1', port, timeoutMs: 1000 })).toMatchObject({ success: true });
    } finally {
      await new Promise((r) => server.close(r));
    }
    const refused = await runTcpSocketProbe({ host: '127.0.0.1', port, timeoutMs: 1000 });
    expect(refused.success).toBe(false);
    expect(refused.output).toMatch(new RegExp(`^dial tcp 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
  });
});

describe('exec probe (fake runtime)', () => {
  let runtime: FakeRuntime;
  let id: string;
  beforeEach(async () => {
    runtime = createFakeRuntime();
    id = await runtime.create({ name: 'c', image: 'drover.local/busybox:test', env: {}, ports: [], mounts: [], labels: {}, hostNetwork: false });
    await runtime.start(id);
  });
  afterEach(() => runtime.close());

  it('exit code 0 is success, anything else a failure carrying the output', async () => {
    expect(await runExecProbe({ runtime, containerId: id, command: ['fake-exec', 'fine', '', '0'], timeoutMs: 1000 })).toEqual({ success: true, output: 'fine' });
    expect(await runExecProbe({ runtime, containerId: id, command: ['fake-exec', 'out', 'broken', '1'], timeoutMs: 1000 })).toEqual({
      success: false,
      output: 'out\nbroken',
    });
    expect(runtime.hooks.calls.filter((c) => c === `exec ${id}`)).toHaveLength(2);
  });

  it('a failing exec (container gone) and a command that outlives the timeout are failures', async () => {
    await runtime.hooks.exitContainer(id, 0);
    const gone = await runExecProbe({ runtime, containerId: id, command: ['true'], timeoutMs: 1000 });
    expect(gone.success).toBe(false);
    expect(gone.output).toContain('not running');
    const hanging = { exec: () => new Promise<never>(() => undefined) };
    const slow = await runExecProbe({ runtime: hanging, containerId: id, command: ['sleep', '99'], timeoutMs: 10 });
    expect(slow).toEqual({ success: false, output: 'command ["sleep","99"] timed out after 0.01s' });
  });
});
