/**
 * The agent's CA pinning against a TLS server whose CA and certificate OpenSSL made (not Drover's own
 * PKI code): the right hash yields the CA, a wrong one fails before a single application byte is sent.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchHubCa, mqttTlsOptions, sha256Hex } from '../../../agent/link/hub-ca.js';
import { joinHub, pinHubCa } from '../../../agent/link/join.js';
import { HubCaMismatchError, InsecureHubError } from '../../../agent/errors.js';
import { silentLogger } from '../../../protocol/logger.js';

let dir: string;
let server: Server;
let port: number;
let caPem: string;
let caHash: string;
/** Application bytes the server received after TLS handshakes. */
let received = 0;

async function openssl(args: string[]): Promise<void> {
  await execa('openssl', args, { cwd: dir });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-agent-ca-'));
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt',
    '-days', '2', '-subj', '/CN=openssl-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=hub']);
  await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
  caPem = await readFile(join(dir, 'ca.crt'), 'utf8');
  caHash = sha256Hex(new X509Certificate(caPem).raw);
  const chain = `${await readFile(join(dir, 'server.crt'), 'utf8')}${caPem}`;
  server = createServer({ key: await readFile(join(dir, 'server.key')), cert: chain }, (socket) => {
    socket.on('data', (d: Buffer) => (received += d.length));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

describe('pinning the hub CA from the join token', () => {
  it('returns the CA from the presented chain when its hash matches, and sends nothing', async () => {
    received = 0;
    const pem = await fetchHubCa(`mqtts://127.0.0.1:${port}`, caHash);
    expect(new X509Certificate(pem).raw.equals(new X509Certificate(caPem).raw)).toBe(true);
    expect(received).toBe(0);
  });

  it('refuses a hub whose CA does not match the token, naming both hashes, before sending anything', async () => {
    received = 0;
    const wrong = 'ab'.repeat(32);
    const err = await fetchHubCa(`mqtts://127.0.0.1:${port}`, wrong).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubCaMismatchError);
    expect((err as HubCaMismatchError).presented).toContain(caHash);
    expect((err as Error).message).toMatch(/not the one the join token was made for.*nothing was sent/);
    const joinErr = await joinHub({
      hubUrl: `mqtts://127.0.0.1:${port}`,
      token: `K10${wrong}::drover-join.abcdef.${'a'.repeat(32)}`,
      nodeName: 'sec-agent-a',
      logger: silentLogger(),
      timeoutMs: 3000,
    }).catch((e: unknown) => e);
    expect(joinErr).toBeInstanceOf(HubCaMismatchError);
    await new Promise((r) => setTimeout(r, 100));
    expect(received).toBe(0);
  });

  it('does not accept the hash of the leaf (server) certificate: it is not a CA', async () => {
    const leafHash = sha256Hex(new X509Certificate(await readFile(join(dir, 'server.crt'))).raw);
    await expect(fetchHubCa(`mqtts://127.0.0.1:${port}`, leafHash)).rejects.toBeInstanceOf(HubCaMismatchError);
  });

  it('refuses a bare token over TLS, and plain MQTT to another machine', async () => {
    await expect(pinHubCa(`mqtts://127.0.0.1:${port}`, `drover-join.abcdef.${'a'.repeat(32)}`)).rejects.toBeInstanceOf(InsecureHubError);
    await expect(pinHubCa('mqtt://192.0.2.10:1883', `K10${caHash}::drover-join.abcdef.${'a'.repeat(32)}`)).rejects.toBeInstanceOf(InsecureHubError);
    await expect(pinHubCa('mqtt://127.0.0.1:1883', `drover-join.abcdef.${'a'.repeat(32)}`)).resolves.toBeUndefined();
  });

  it('builds verified TLS options only with a pinned CA', () => {
    expect(mqttTlsOptions('mqtts://hub.local:8883', caPem)).toEqual({ ca: caPem, rejectUnauthorized: true });
    expect(() => mqttTlsOptions('mqtts://hub.local:8883', undefined)).toThrow(InsecureHubError);
    expect(mqttTlsOptions('mqtt://localhost:1883', undefined)).toEqual({});
    expect(() => mqttTlsOptions('mqtt://hub.local:1883', undefined)).toThrow(InsecureHubError);
  });
});

describe('a plain (non-TLS) listener at an mqtts:// address', () => {
  it('is HubUnreachableError with a hint, both for a listener that hangs up and one that answers in plain text', async () => {
    const { createServer: createPlainServer } = await import('node:net');
    const { HubUnreachableError } = await import('../../../agent/errors.js');
    for (const behaviour of ['hang up', 'answer'] as const) {
      const plain = createPlainServer((socket) => {
        socket.on('error', () => undefined);
        socket.once('data', () => (behaviour === 'hang up' ? socket.destroy() : socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
      });
      await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
      const plainPort = (plain.address() as { port: number }).port;
      try {
        const err = await fetchHubCa(`mqtts://127.0.0.1:${plainPort}`, caHash, 5000).catch((e: unknown) => e);
        expect(err, behaviour).toBeInstanceOf(HubUnreachableError);
        expect((err as Error).message, behaviour).toMatch(/that port does not speak TLS: .* takes mqtt:\/\//);
      } finally {
        await new Promise<void>((r) => plain.close(() => r()));
      }
    }
  });

  it('a port where nothing listens gets no such hint', async () => {
    const err = await fetchHubCa('mqtts://127.0.0.1:1', caHash, 5000).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect((err as Error).message).not.toMatch(/does not speak TLS/);
  });
});
