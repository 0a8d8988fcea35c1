/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
/**
 * Request bodies by Content-Type through the real API server: Kubernetes protobuf and YAML create the
 * same objects JSON does, a malformed protobuf body is 400 naming what is wrong, a protobuf kind Drover
 * has no message for and an unknown content type are 415. Answers are JSON whenever the client allows it
 * (kubectl sends "application/vnd.kubernetes.protobuf,application/json"), protobuf when it accepts only that.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf } from '../../../hub/api/protobuf/codec.js';
import { startTestApi, type TestApi } from './support.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

describe('request bodies: JSON, YAML, Kubernetes protobuf', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  async function post(path: string, body: Buffer | string, contentType: string): Promise<{ status: number; body: any; contentType: string | null }> {
    const res = await fetch(`${api.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.tokens.admin}`, 'content-type': contentType, accept: `${PROTOBUF},application/json` },
      body,
    });
    return { status: res.status, body: await res.json(), contentType: res.headers.get('content-type') };
  }

  it('a protobuf Secret is stored as its JSON would be and answered in JSON', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'pb', namespace: 'default' }, data: { k: Buffer.from('v').toString('base64') } };
    const r = await post('/api/v1/namespaces/default/secrets', encodeKubernetesProtobuf(secret), PROTOBUF);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.contentType).toBe('application/json');
    const got = await api.call('GET', '/api/v1/namespaces/default/secrets/pb');
    expect(Buffer.from(got.body.data.k, 'base64').toString()).toBe('v');
  });

  it('a protobuf Deployment fails the same validation as JSON (422 naming the field)', async () => {
    const bad = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'bad' },
      spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'BAD NAME', image: 'registry.local/nginx:1.27' }] } } },
    };
    const r = await post('/apis/apps/v1/namespaces/default/deployments', encodeKubernetesProtobuf(bad), PROTOBUF);
    expect(r.status).toBe(422);
    expect(r.body.message).toMatch(/spec\.template\.spec\.containers\[0\]\.name/);
  });

  it('a YAML ConfigMap is created; two documents are 400', async () => {
    const r = await post('/api/v1/namespaces/default/configmaps', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: from-yaml }\ndata: { a: "1" }\n', 'application/yaml');
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body.data).toEqual({ a: '1' });
    const two = await post('/api/v1/namespaces/default/configmaps', 'kind: ConfigMap\n---\nkind: ConfigMap\n', 'application/yaml');
    expect(two.status).toBe(400);
    expect(two.body.message).toMatch(/one YAML document, not 2/);
  });

  it('a malformed protobuf body is 400 naming what is wrong', async () => {
    const notPrefixed = await post('/api/v1/namespaces/default/configmaps', Buffer.from('{"kind":"ConfigMap"}'), PROTOBUF);
    expect(notPrefixed.status).toBe(400);
    expect(notPrefixed.body.message).toMatch(/not a valid Kubernetes protobuf message: the body does not start with the Kubernetes protobuf prefix/);
    const full = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cut' }, data: { a: 'b'.repeat(50) } });
    const cut = await post('/api/v1/namespaces/default/configmaps', full.subarray(0, full.length - 20), PROTOBUF);
    expect(cut.status).toBe(400);
    expect(cut.body.message).toMatch(/malformed/);
  });

  it('a client that accepts only protobuf gets protobuf objects, lists and Statuses (decoded as client-go does); streams are 406', async () => {
    const get = (path: string, accept: string) => fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${api.tokens.admin}`, accept } });
    const json = await api.call('GET', '/api/v1/namespaces/default/configmaps/from-yaml');
    const one = await get('/api/v1/namespaces/default/configmaps/from-yaml', PROTOBUF);
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toBe(PROTOBUF);
    const decoded = decodeKubernetesProtobuf(Buffer.from(await one.arrayBuffer()));
    expect(decoded.kind).toBe('ConfigMap');
    expect(decoded.object).toEqual(json.body);

    const list = await get('/api/v1/namespaces/default/configmaps', PROTOBUF);
    const decodedList = decodeKubernetesProtobuf(Buffer.from(await list.arrayBuffer())).object as any;
    expect(decodedList.kind).toBe('ConfigMapList');
    expect(decodedList.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(decodedList.items.map((c: any) => c.metadata.name)).toContain('from-yaml');

    const missing = await get('/api/v1/namespaces/default/configmaps/nope', PROTOBUF);
    expect(missing.status).toBe(404);
    expect(decodeKubernetesProtobuf(Buffer.from(await missing.arrayBuffer())).object).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });

    const watch = await get('/api/v1/namespaces/default/configmaps?watch=1', PROTOBUF);
    expect(watch.status).toBe(406);
    expect(decodeKubernetesProtobuf(Buffer.from(await watch.arrayBuffer())).object).toMatchObject({ kind: 'Status', reason: 'NotAcceptable', code: 406 });
    // an answer with no message (discovery) is 406 too
    expect((await get('/api/v1', PROTOBUF)).status).toBe(406);
    for (const accept of [`${PROTOBUF},application/json`, `${PROTOBUF}, */*`, 'application/json']) {
      const r = await get('/api/v1/namespaces/default/configmaps', accept);
      expect(r.status, accept).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/json');
    }
  });

  it('415 for a protobuf kind without a message and for content types the hub does not read', async () => {
    const envelope = encodeKubernetesProtobuf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    const slice = Buffer.from(envelope.toString('latin1').replace('v1\x12\tConfigMap', 'v1\x12\tConfigMaq'), 'latin1');
    const r = await post('/api/v1/namespaces/default/configmaps', slice, PROTOBUF);
    expect(r.status).toBe(415);
    expect(r.body.reason).toBe('UnsupportedMediaType');
    const text = await post('/api/v1/namespaces/default/configmaps', 'hello', 'text/plain');
    expect(text.status).toBe(415);
    expect(text.body.message).toMatch(/"text\/plain" is not supported/);
  });
});
