/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON documents */
import { describe, expect, it } from 'vitest';
import { acceptsJson, openApiV2Document } from '../../../hub/api/openapi-v2.js';
import { OpenApiV2Document } from '../../../hub/api/protobuf/openapi-v2.js';
import { openApiDocument } from '../../../hub/api/openapi.js';
import { ApiError } from '../../../hub/api/status.js';

describe('OpenAPI v2', () => {
  const doc = JSON.parse(openApiV2Document('application/json').body as string) as any;

  it('is a Swagger 2.0 document with every kind under Kubernetes\' definition names', () => {
    expect(doc.swagger).toBe('2.0');
    const deployment = doc.definitions['io.k8s.api.apps.v1.Deployment'];
    expect(deployment['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    expect(deployment.properties.spec.properties.replicas.type).toBe('integer');
    expect(doc.definitions['io.k8s.api.core.v1.Pod']).toBeDefined();
    expect(JSON.stringify(doc)).not.toMatch(/"anyOf"|"nullable"/);
  });

  it('marks the keyed lists with their merge key and strategy, as kubectl\'s strategic merge reads them', () => {
    const pod = doc.definitions['io.k8s.api.core.v1.Pod'].properties.spec.properties;
    expect(pod.containers).toMatchObject({ type: 'array', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge' });
    expect(pod.containers.items.properties.ports).toMatchObject({ 'x-kubernetes-patch-merge-key': 'containerPort' });
    expect(pod.containers.items.properties.env).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name' });
    expect(pod.volumes).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name' });
    expect(pod.containers.items.properties.command['x-kubernetes-patch-merge-key']).toBeUndefined();
    const service = doc.definitions['io.k8s.api.core.v1.Service'].properties.spec.properties;
    expect(service.ports['x-kubernetes-patch-merge-key']).toBe('port');
  });

  it('lists the paths with body parameters, PATCH consuming the patch types and server-side apply', () => {
    const named = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
    expect(named.patch.consumes).toContain('application/apply-patch+yaml');
    expect(named.patch.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['name', 'namespace', 'body', 'fieldManager', 'force', 'dryRun']));
    expect(named.put.parameters.find((p: any) => p.in === 'body').schema).toEqual({ $ref: '#/definitions/io.k8s.api.apps.v1.Deployment' });
    expect(named.get['x-kubernetes-action']).toBe('get');
  });

  it('answers JSON, or the gnostic protobuf to a client that takes only that; 406 otherwise', () => {
    expect(acceptsJson(undefined)).toBe(true);
    expect(acceptsJson('application/json, */*')).toBe(true);
    expect(acceptsJson('application/com.github.proto-openapi.spec.v2@v1.0+protobuf')).toBe(false);
    expect(acceptsJson('application/json;q=0')).toBe(false);
    const pb = openApiV2Document('application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
    expect(pb.contentType).toBe('application/octet-stream');
    const decoded = OpenApiV2Document.toObject(OpenApiV2Document.decode(pb.body as Buffer)) as any;
    expect(decoded.swagger).toBe('2.0');
    const named = (list: any[], name: string) => list.find((e: any) => e.name === name)?.value;
    const deployment = named(decoded.definitions.additional_properties, 'io.k8s.api.apps.v1.Deployment');
    expect(JSON.parse(named(deployment.vendor_extension, 'x-kubernetes-group-version-kind').yaml)).toEqual(doc.definitions['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']);
    const spec = named(deployment.properties.additional_properties, 'spec');
    expect(spec.properties.additional_properties.map((p: any) => p.name)).toEqual(Object.keys(doc.definitions['io.k8s.api.apps.v1.Deployment'].properties.spec.properties));
    expect(decoded.definitions.additional_properties).toHaveLength(Object.keys(doc.definitions).length);
    let error: unknown;
    try {
      openApiV2Document('application/vnd.kubernetes.protobuf');
    } catch (err) {
      error = err;
    }
    expect((error as ApiError).httpCode).toBe(406);
    expect((error as ApiError).code).toBe('EAPI_NOT_ACCEPTABLE');
  });

  it('the v3 documents carry the same list annotations, with list-type and map keys', () => {
    const apps = JSON.parse(openApiDocument('apis/apps/v1')) as any;
    const containers = apps.components.schemas['io.k8s.api.apps.v1.Deployment'].properties.spec.properties.template.properties.spec.properties.containers;
    expect(containers).toMatchObject({ 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] });
  });
});
