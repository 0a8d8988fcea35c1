/**
 * OpenAPI v3 from the hub's own schemas: kubectl validates with it (apply without --validate=false,
 * an unknown field refused with its name), and `kubectl explain` reads it.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaFetch } from '../../hub/cli/tls-fetch.js';
import { OpenApiV2Document } from '../../hub/api/protobuf/openapi-v2.js';
import { startCompatHub, type CompatHub } from './support.js';

const deployment = (extra = '') => `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  replicas: 0
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers:
        - name: api
          image: registry.local/nginx:1.26
${extra}`;

describe('OpenAPI v3 (real kubectl, real hub)', () => {
  let h: CompatHub;
  beforeAll(async () => {
    h = await startCompatHub('openapi');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('kubectl apply validates by default (no --validate=false), and a field the hub does not know is refused by name', async () => {
    const ok = await h.kubectl(['apply', '-f', '-'], deployment());
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('deployment.apps/api created');
    const bad = await h.kubectl(['apply', '-f', '-'], deployment('          imagePullPolice: Never\n'));
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('imagePullPolice');
    const strict = await h.kubectl(['apply', '--validate=strict', '-f', '-'], deployment());
    expect(strict.code, strict.out).toBe(0);
  });

  it('kubectl apply --validate=strict names an unknown field, server-side too, and takes a good file', async () => {
    const bad = await h.kubectl(['apply', '--validate=strict', '-f', '-'], deployment('          imagePullPolice: Never\n'));
    expect(bad.code).not.toBe(0);
    expect(bad.out).toContain('imagePullPolice');
    const badSsa = await h.kubectl(['apply', '--server-side', '--validate=strict', '-f', '-'], deployment('          imagePullPolice: Never\n'));
    expect(badSsa.code).not.toBe(0);
    expect(badSsa.out).toContain('imagePullPolice');
    const good = await h.kubectl(['apply', '--server-side', '--validate=strict', '--force-conflicts', '-f', '-'], deployment());
    expect(good.code, good.out).toBe(0);
  });

  it('serves OpenAPI v2 as JSON, and as gnostic protobuf to a client that takes only that', async () => {
    const raw = await h.kubectl(['get', '--raw', '/openapi/v2']);
    expect(raw.code, raw.out).toBe(0);
    const v2 = JSON.parse(raw.stdout) as { swagger: string; definitions: Record<string, { 'x-kubernetes-group-version-kind': unknown[] }> };
    expect(v2.swagger).toBe('2.0');
    expect(v2.definitions['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    const caFetch = createCaFetch(await readFile(h.hub.caCertPath, 'utf8'));
    const auth = { authorization: `Bearer ${h.hub.adminToken}` };
    const pb = await caFetch(`${h.hub.httpUrl}/openapi/v2`, { headers: { ...auth, accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' } });
    expect(pb.status).toBe(200);
    const decoded = OpenApiV2Document.toObject(OpenApiV2Document.decode(Buffer.from(await pb.arrayBuffer()))) as { swagger: string; definitions: { additional_properties: { name: string }[] } };
    expect(decoded.swagger).toBe('2.0');
    expect(decoded.definitions.additional_properties.map((d) => d.name).sort()).toEqual(Object.keys(v2.definitions).sort());
    const other = await caFetch(`${h.hub.httpUrl}/openapi/v2`, { headers: { ...auth, accept: 'application/vnd.kubernetes.protobuf' } });
    expect(other.status).toBe(406); // its Status in Kubernetes protobuf, as that client asked
    expect((await caFetch(`${h.hub.httpUrl}/openapi/v2`)).status).toBe(401);
  });

  it('kubectl explain finds the kinds and their fields', async () => {
    const replicas = await h.kubectl(['explain', 'deployment.spec.replicas']);
    expect(replicas.code, replicas.out).toBe(0);
    expect(replicas.out).toMatch(/FIELD:\s+replicas <integer>/);
    const spec = await h.kubectl(['explain', 'deployment.spec']);
    expect(spec.code, spec.out).toBe(0);
    expect(spec.out).toMatch(/GROUP:\s+apps/);
    expect(spec.out).toMatch(/replicas\s+<integer>/);
    expect(spec.out).toMatch(/template\s+<Object>/);
    const pod = await h.kubectl(['explain', 'pods.spec.containers']);
    expect(pod.code, pod.out).toBe(0);
    expect(pod.out).toMatch(/image\s+<string>/);
  });

  it('serves the index and a document per group-version, authenticated like the rest of the API', async () => {
    const index = JSON.parse((await h.kubectl(['get', '--raw', '/openapi/v3'])).stdout) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(index.paths)).toEqual(expect.arrayContaining(['api/v1', 'apis/apps/v1', 'apis/discovery.k8s.io/v1']));
    const apps = JSON.parse((await h.kubectl(['get', '--raw', index.paths['apis/apps/v1']!.serverRelativeURL])).stdout) as {
      components: { schemas: Record<string, { 'x-kubernetes-group-version-kind': unknown[] }> };
    };
    expect(apps.components.schemas['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    const caFetch = createCaFetch(await readFile(h.hub.caCertPath, 'utf8'));
    expect((await caFetch(`${h.hub.httpUrl}/openapi/v3`)).status).toBe(401);
    expect((await caFetch(`${h.hub.httpUrl}/openapi/v3/apis/nothing/v9`, { headers: { authorization: `Bearer ${h.hub.adminToken}` } })).status).toBe(404);
  });
});
