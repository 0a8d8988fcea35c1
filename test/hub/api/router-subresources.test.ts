import { describe, expect, it } from 'vitest';
import { parseRoute } from '../../../hub/api/router.js';

describe('parseRoute: action subresources', () => {
  it('routes pod log/exec and deployment/replicaset scale', () => {
    expect(parseRoute('/api/v1/namespaces/ns1/pods/web/log')).toMatchObject({ type: 'subresource', namespace: 'ns1', name: 'web', subresource: 'log', info: { kind: 'Pod' } });
    expect(parseRoute('/api/v1/namespaces/ns1/pods/web/exec')).toMatchObject({ type: 'subresource', subresource: 'exec' });
    expect(parseRoute('/apis/apps/v1/namespaces/ns1/deployments/d/scale')).toMatchObject({ type: 'subresource', subresource: 'scale', info: { kind: 'Deployment' } });
    expect(parseRoute('/apis/apps/v1/namespaces/ns1/replicasets/r/scale')).toMatchObject({ type: 'subresource', subresource: 'scale', info: { kind: 'ReplicaSet' } });
  });

  it('refuses them on other kinds and under /watch', () => {
    expect(parseRoute('/apis/apps/v1/namespaces/ns1/daemonsets/d/scale').type).toBe('notFound');
    expect(parseRoute('/api/v1/namespaces/ns1/configmaps/c/log').type).toBe('notFound');
    expect(parseRoute('/apis/apps/v1/namespaces/ns1/deployments/d/exec').type).toBe('notFound');
    expect(parseRoute('/api/v1/watch/namespaces/ns1/pods/web/log').type).toBe('notFound');
    expect(parseRoute('/api/v1/namespaces/ns1/pods/web/status')).toMatchObject({ type: 'resource', subresource: 'status' });
  });
});
