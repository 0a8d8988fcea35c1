/**
 * The agent's MQTT client (agent/link/mqtt-transport.ts): mqtt.js' MqttClient over the agent's own TCP and
 * TLS stream builders, against a real aedes broker on plain TCP and on TLS (certificates made by OpenSSL):
 * a round trip on each, hub verification against the pinned CA, refusals reported as mqtt.connectAsync
 * reports them, and no packet-id cache.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes, type AuthenticateError } from 'aedes';
import { execa } from 'execa';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMqtt, connectMqttAsync } from '../../../agent/link/mqtt-transport.js';

let dir: string;
let broker: Aedes;
let plain: NetServer;
let secure: TlsServer;
let plainPort: number;
let securePort: number;
let caPem: string;
let otherCaPem: string;
const sockets = new Set<Socket>();

async function openssl(args: string[]): Promise<void> {
  await execa('openssl', args, { cwd: dir });
}

function listen(server: NetServer | TlsServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-mqtt-transport-'));
  const ca = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'];
  await openssl([...ca, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=transport-test-ca']);
  await openssl([...ca, '-keyout', 'other.key', '-out', 'other.crt', '-subj', '/CN=another-ca']);
  await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=hub']);
  await writeFile(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf']);
  caPem = await readFile(join(dir, 'ca.crt'), 'utf8');
  otherCaPem = await readFile(join(dir, 'other.crt'), 'utf8');

  broker = await Aedes.createBroker({
    authenticate(_client, username, password, done) {
      if (username === 'node:a' && password?.toString() === 'pw') return done(null, true);
      const err = new Error('bad credentials') as AuthenticateError;
      err.returnCode = 4;
      done(err, false);
    },
  });
  const handle = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    broker.handle(socket);
  };
  plain = createNetServer(handle);
  secure = createTlsServer({ key: await readFile(join(dir, 'server.key')), cert: `${await readFile(join(dir, 'server.crt'), 'utf8')}${caPem}` }, handle);
  secure.on('tlsClientError', () => undefined);
  plainPort = await listen(plain);
  securePort = await listen(secure);
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => broker.close(() => r()));
  await new Promise<void>((r) => plain.close(() => r()));
  await new Promise<void>((r) => secure.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

async function roundTrip(client: MqttClient): Promise<string> {
  const got = new Promise<string>((resolve) => client.once('message', (_topic, payload) => resolve(payload.toString())));
  await client.subscribeAsync('t/echo', { qos: 1 });
  await client.publishAsync('t/echo', 'hello', { qos: 1 });
  return got;
}

const login = { clientId: 'node-a', username: 'node:a', password: 'pw', reconnectPeriod: 0, protocolVersion: 4 as const };

describe('the agent MQTT client', () => {
  it('connects over plain TCP, without the 65,536-entry packet-id cache', async () => {
    const client = await connectMqttAsync(`mqtt://127.0.0.1:${plainPort}`, login);
    try {
      expect(client.options.writeCache).toBe(false);
      expect(await roundTrip(client)).toBe('hello');
    } finally {
      await client.endAsync(true);
    }
  });

  it('connects over TLS, verifying the hub against the pinned CA', async () => {
    const client = await connectMqttAsync(`mqtts://127.0.0.1:${securePort}`, { ...login, ca: caPem, rejectUnauthorized: true });
    try {
      expect(await roundTrip(client)).toBe('hello');
    } finally {
      await client.endAsync(true);
    }
  });

  it('refuses a hub whose certificate another CA signed', async () => {
    const err = await connectMqttAsync(`mqtts://127.0.0.1:${securePort}`, { ...login, ca: otherCaPem, rejectUnauthorized: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('SELF_SIGNED_CERT_IN_CHAIN'); // the chain's CA is not the pinned one
  });

  it('reports a refused login with its CONNACK code, as mqtt.connectAsync does', async () => {
    const err = await connectMqttAsync(`mqtt://127.0.0.1:${plainPort}`, { ...login, password: 'wrong' }).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(4);
  });

  it('reports an address nobody listens on as a connection error', async () => {
    const err = await connectMqttAsync('mqtt://127.0.0.1:1', login).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('keeps reconnecting on its own client (connectMqtt), as the node connection does', async () => {
    const client = connectMqtt(`mqtt://127.0.0.1:${plainPort}`, login);
    try {
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      client.end(true);
      await new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.reconnect();
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      expect(await roundTrip(client)).toBe('hello');
    } finally {
      await client.endAsync(true);
    }
  });
});
