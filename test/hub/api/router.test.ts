import { describe, expect, it } from 'vitest';
import { parseRoute } from '../../../hub/api/router.js';

describe('parseRoute', () => {
  it('parses Kubernetes resource paths', () => {
    expect(parseRoute('/api/v1/nodes')).toMatchObject({ type: 'resource', namespace: undefined, name: undefined, info: { kind: 'Node' } });
    expect(parseRoute('/api/v1/nodes/n1/status')).toMatchObject({ type: 'resource', name: 'n1', subresource: 'status' });
    expect(parseRoute('/api/v1/namespaces')).toMatchObject({ type: 'resource', info: { kind: 'Namespace' }, name: undefined });
    expect(parseRoute('/api/v1/namespaces/prod')).toMatchObject({ type: 'resource', info: { kind: 'Namespace' }, name: 'prod' });
    expect(parseRoute('/api/v1/namespaces/prod/status')).toMatchObject({ info: { kind: 'Namespace' }, name: 'prod', subresource: 'status' });
    expect(parseRoute('/api/v1/namespaces/prod/pods')).toMatchObject({ info: { kind: 'Pod' }, namespace: 'prod', name: undefined });
    expect(parseRoute('/api/v1/namespaces/prod/pods/web/status')).toMatchObject({ namespace: 'prod', name: 'web', subresource: 'status' });
    expect(parseRoute('/api/v1/pods')).toMatchObject({ info: { kind: 'Pod' }, namespace: undefined });
    expect(parseRoute('/apis/apps/v1/namespaces/x/deployments/d')).toMatchObject({ info: { kind: 'Deployment' }, namespace: 'x', name: 'd' });
    expect(parseRoute('/api/v1/watch/namespaces/x/pods')).toMatchObject({ watchPath: true, namespace: 'x' });
  });

  it('parses the other endpoints and rejects nonsense', () => {
    expect(parseRoute('/')).toEqual({ type: 'statusPage' });
    expect(parseRoute('/readyz')).toEqual({ type: 'health', check: 'readyz' });
    expect(parseRoute('/apis/drover.io/v1/jointokens/abc')).toEqual({ type: 'tokens', resource: 'jointokens', id: 'abc' });
    expect(parseRoute('/apis/apps/v1')).toEqual({ type: 'resourceList', group: 'apps', version: 'v1' });
    expect(parseRoute('/api/v1/pods/web').type).toBe('notFound'); // pods are namespaced
    expect(parseRoute('/api/v1/namespaces/x/nodes').type).toBe('notFound');
    expect(parseRoute('/api/v2/pods').type).toBe('notFound');
    expect(parseRoute('/api/v1/namespaces/x/pods/web/logs').type).toBe('notFound');
    expect(parseRoute('/apis/apps/v1/pods').type).toBe('notFound');
  });
});
