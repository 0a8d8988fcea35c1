/**
 * Fuzzing the hub through its two doors, bounded (a few hundred cases, seconds): garbage, truncated,
 * oversized and wrong-schema payloads from a joined node on its own MQTT topics (a real MQTT client,
 * over TLS), and garbage paths, bodies and headers at the HTTPS API. Afterwards the hub must still do
 * its job: a new node joins, a valid status lands, API CRUD works, and nothing was polluted.
 */
import { connect as tlsConnect } from 'node:tls';
import { readFile } from 'node:fs/promises';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Credentials } from '../../agent/link/join.js';
import { DEFAULT_BODY_LIMIT } from '../../hub/api/http-io.js';
import { MAX_PRESENCE_BYTES } from '../../hub/broker/acl.js';
import { MAX_PAYLOAD_BYTES, type NodeStatusMessage } from '../../protocol/messages.js';
import { topics } from '../../protocol/topics.js';
import { startSecureHub, type SecureHub } from './support.js';

/** mulberry32: a small seeded PRNG, so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = 20261124;
const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

function statusMessage(hostname: string): NodeStatusMessage {
  const sentAt = new Date().toISOString();
  return {
    v: 1,
    type: 'nodeStatus',
    sentAt,
    labels: { 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' },
    status: {
      capacity: { cpu: '4', memory: '8Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '7Gi', pods: '110' },
      nodeInfo: { architecture: 'amd64', operatingSystem: 'linux', hostname },
      addresses: [{ type: 'InternalIP', address: '10.0.0.5' }],
      usage: { cpuPercent: 1, memoryUsedBytes: 1_000_000, timestamp: sentAt },
    },
  };
}

/** Valid JSON (as text) that breaks the schema in one of many ways. */
function wrongSchema(node: string): string {
  const base = statusMessage(node) as unknown as Record<string, unknown>;
  const cases: (() => unknown)[] = [
    () => ({ ...base, v: 2 }),
    () => ({ ...base, type: pick(['podStatus', 'presence', 'joinRequest', '', 'x'.repeat(1000)]) }),
    () => ({ ...base, status: null }),
    () => ({ ...base, status: { capacity: { cpu: -1, memory: 'lots' } } }),
    () => ({ ...base, status: { ...(base.status as object), capacity: { cpu: '1e400', memory: '-5Gi', pods: 'NaN' } } }),
    () => ({ ...base, labels: { 'kubernetes.io/hostname': 'another-node', 'node-role.kubernetes.io/control-plane': '' } }),
    () => JSON.parse('{"__proto__": {"polluted": true}, "v": 1, "type": "nodeStatus"}'),
    () => ({ constructor: { prototype: { polluted: true } }, v: 1, type: 'presence', state: 'online' }),
    () => ({ v: 1, type: 'presence', state: pick(['offline', 'online', 'maybe', 42]) , sentAt: 'not a date' }),
    () => ({ v: 1, type: 'podStatus', sentAt: 'x', full: true, pods: [{ namespace: 'kube-system', name: 'x', uid: 'u', status: { phase: 'Running' } }] }),
    () => ({ v: 1, type: 'podStatus', sentAt: 'x', pods: Array.from({ length: 2000 }, (_, i) => ({ namespace: 'default', name: `p${i}`, uid: `${i}` })) }),
    () => ({ v: 1, type: 'reply', sentAt: 'x', requestId: '../../etc', ok: true, output: 'x'.repeat(10_000) }),
    () => pick([null, true, 0, -1, 'string', [], {}]),
  ];
  if (int(cases.length + 1) === 0) {
    const depth = pick([10, 1000, 5000]); // deeply nested arrays, written as text
    return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  }
  return JSON.stringify(pick(cases)());
}

describe('fuzzing the hub (bounded)', () => {
  let h: SecureHub;
  let f: Credentials;
  let ca: string;

  beforeAll(async () => {
    h = await startSecureHub('sec-fuzz');
    f = await h.join('sec-fuzz-a');
    ca = await readFile(h.hub.caCertPath, 'utf8');
  });
  afterAll(async () => {
    await h.close();
  });

  const connectNode = (): Promise<MqttClient> =>
    mqtt.connectAsync(h.hub.mqttUrl, {
      ca,
      rejectUnauthorized: true,
      clientId: `node-${f.nodeName}`,
      username: f.username,
      password: f.password,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      protocolVersion: 4,
    });

  it(`survives ~300 bad MQTT payloads on the node's own topics (seed ${SEED})`, async () => {
    const own = [topics.nodeStatus(f.nodeName), topics.nodePods(f.nodeName), topics.nodePresence(f.nodeName), topics.nodeReply(f.nodeName, 'fuzz-1')];
    const valid = JSON.stringify(statusMessage('sec-fuzz-a'));
    const payloads: Buffer[] = [];
    for (let i = 0; i < 100; i++) payloads.push(bytes(int(2000)));
    for (let i = 0; i < 80; i++) payloads.push(Buffer.from(valid.slice(0, int(valid.length))));
    for (let i = 0; i < 120; i++) payloads.push(Buffer.from(wrongSchema(f.nodeName)));
    const client = await connectNode();
    try {
      for (let i = 0; i < payloads.length; i += 25) {
        await Promise.all(
          payloads.slice(i, i + 25).map((p) => {
            const topic = pick(own);
            // presence is capped at 1 KiB by the broker (a larger one closes the connection, as an oversized payload does)
            return client.publishAsync(topic, topic === topics.nodePresence(f.nodeName) ? p.subarray(0, MAX_PRESENCE_BYTES) : p, { qos: 1 });
          }),
        );
      }
      // garbage is dropped, not punished: the node's session is still up
      expect(client.connected).toBe(true);
    } finally {
      await client.endAsync(true);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses oversized payloads by closing the connection, and lets the node back in', async () => {
    for (let i = 0; i < 3; i++) {
      const client = await connectNode();
      const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
      client.publish(topics.nodeStatus(f.nodeName), Buffer.alloc(MAX_PAYLOAD_BYTES + 1 + int(1000), 0x7b), { qos: 0 });
      await closed;
      expect(client.connected).toBe(false);
      await client.endAsync(true);
    }
  });

  it('answers ~200 garbage HTTP requests with 4xx, never 5xx, and survives malformed HTTP', async () => {
    const segments = ['api', 'v1', 'apis', 'namespaces', 'default', 'pods', 'nodes', '..', '%2e%2e', '%00', '%ff', 'üñí', '*', '', 'x'.repeat(300), '?watch=1', ';', 'drover.io', 'jointokens'];
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
    const contentTypes = ['application/json', 'application/merge-patch+json', 'text/plain', 'application/yaml', '', 'application/json; charset=utf-16'];
    const statuses: number[] = [];
    const fetchCa = (await import('../../hub/cli/tls-fetch.js')).createCaFetch(ca);
    for (let i = 0; i < 200; i++) {
      // (the first segment is a real one: a request target starting "//" is the hub/api bug tested below)
      const path = `/${pick(['api', 'apis', 'healthz', 'metrics', 'readyz', 'x'])}/${Array.from({ length: int(7) }, () => pick(segments)).join('/')}`;
      const method = pick(methods);
      const bodyKind = int(4);
      const body =
        method === 'GET' || method === 'HEAD' || method === 'OPTIONS'
          ? undefined
          : bodyKind === 0
            ? bytes(int(500)).toString('latin1')
            : bodyKind === 1
              ? wrongSchema('sec-fuzz-a')
              : bodyKind === 2
                ? '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"x"'
                : JSON.stringify({ apiVersion: 'v1', kind: pick(['Pod', 'ConfigMap', 'Secret', 'Node', 'JoinToken', 'NodeCredential']), metadata: { name: pick(['a', '', '../x', 'A_B']), namespace: pick(['default', 'kube-system', '', 'nope']) }, spec: JSON.parse(wrongSchema('x')) as unknown });
      const token = pick([h.hub.adminToken, `${h.hub.adminToken}x`, 'drover-api.aaaaaa.' + 'b'.repeat(32), '', 'Basic Zm9vOmJhcg==']);
      const headers: Record<string, string> = { authorization: token.startsWith('Basic') ? token : `Bearer ${token}` };
      const ct = pick(contentTypes);
      if (ct) headers['content-type'] = ct;
      let status: number;
      try {
        const res = await fetchCa(`${h.hub.httpUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
        await res.arrayBuffer();
        status = res.status;
      } catch (err) {
        throw new Error(`${method} ${path} failed at the network level: ${(err as Error).message}`, { cause: err });
      }
      if (status >= 500) throw new Error(`${method} ${path} (${ct}, body ${String(body).slice(0, 80)}) answered ${status}`);
      statuses.push(status);
    }
    expect(statuses.filter((s) => s >= 400).length).toBeGreaterThan(100);

    // a body over the limit is refused, not buffered
    const big = await fetchCa(`${h.hub.httpUrl}/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.hub.adminToken}`, 'content-type': 'application/json' },
      body: `{"x":"${'a'.repeat(DEFAULT_BODY_LIMIT + 10)}"}`,
    }).catch((err: unknown) => err as Error);
    if (!(big instanceof Error)) expect(big.status).toBe(413);

    // malformed HTTP straight onto the TLS socket
    const { port } = new URL(h.hub.httpUrl);
    const raw = ['GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 'POST /api/v1/namespaces/default/pods HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n', bytes(300).toString('latin1')];
    for (const text of raw) {
      const answer = await new Promise<string>((resolve) => {
        let got = '';
        const s = tlsConnect({ host: '127.0.0.1', port: Number(port), ca, servername: 'localhost' }, () => s.end(text, 'latin1'));
        s.on('data', (d: Buffer) => (got += d.toString('latin1')));
        s.on('close', () => resolve(got));
        s.on('error', () => resolve(got));
        s.setTimeout(5000, () => s.destroy());
      });
      expect(answer === '' || /^HTTP\/1\.1 4\d\d/.test(answer)).toBe(true);
    }
  });

  // Found by this fuzzer: a request target like "//%ff/x" used to be read as a host and answered 500.
  it('answers a request target starting with "//" and a bad host with 4xx', async () => {
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      const s = tlsConnect({ host: '127.0.0.1', port: Number(new URL(h.hub.httpUrl).port), ca, servername: 'localhost' }, () =>
        s.end(`GET //%ff/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.hub.adminToken}\r\nConnection: close\r\n\r\n`),
      );
      s.on('data', (d: Buffer) => (got += d.toString('latin1')));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d/);
  });

  it('still works afterwards: a node joins, its status lands, API CRUD works', async () => {
    const fresh = await h.join('sec-fuzz-b');
    const client = await mqtt.connectAsync(h.hub.mqttUrl, {
      ca,
      rejectUnauthorized: true,
      clientId: `node-${fresh.nodeName}`,
      username: fresh.username,
      password: fresh.password,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
    try {
      await client.publishAsync(topics.nodeStatus(fresh.nodeName), JSON.stringify(statusMessage(fresh.nodeName)), { qos: 1 });
      let node: { status?: { capacity?: Record<string, string> } } | undefined;
      for (let i = 0; i < 100 && node?.status?.capacity?.cpu !== '4'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const r = await h.api<typeof node>('GET', `/api/v1/nodes/${fresh.nodeName}`);
        node = r.status === 200 ? r.body : undefined;
      }
      expect(node?.status?.capacity?.cpu).toBe('4');
    } finally {
      await client.endAsync(true);
    }
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sec-fuzz-cm', namespace: 'default' }, data: { a: '1' } };
    expect((await h.api('POST', '/api/v1/namespaces/default/configmaps', cm)).status).toBe(201);
    expect((await h.api<{ data: Record<string, string> }>('GET', '/api/v1/namespaces/default/configmaps/sec-fuzz-cm')).body.data).toEqual({ a: '1' });
    expect((await h.api('DELETE', '/api/v1/namespaces/default/configmaps/sec-fuzz-cm')).status).toBe(200);
    expect((await h.api('GET', '/api/v1/namespaces/default/configmaps/sec-fuzz-cm')).status).toBe(404);
  });
});
