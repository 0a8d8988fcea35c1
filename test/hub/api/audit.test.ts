/**
 * The audit events an API server records (a real server on loopback, a recording audit sink), the
 * Warning header's encoding, and the audit event of a request with a token in its query.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../hub/audit/audit-event.js';
import { auditEventOf } from '../../../hub/api/audit.js';
import { addWarning } from '../../../hub/api/http-io.js';
import { parseRoute } from '../../../hub/api/router.js';
import { pod, startTestApi, type TestApi } from './support.js';

describe('API audit events', () => {
  let api: TestApi;
  const events: AuditEvent[] = [];
  let arrived: () => void = () => undefined;
  beforeAll(async () => {
    api = await startTestApi({
      auditLog: {
        record: (e) => {
          events.push(e);
          arrived();
        },
      },
    });
  });
  afterAll(async () => {
    await api.close();
  });
  /** The events recorded so far, once there are at least `n` (recorded when each response closes). */
  const settled = async (n: number): Promise<AuditEvent[]> => {
    while (events.length < n) await new Promise<void>((resolve) => (arrived = resolve));
    return events.splice(0);
  };

  it('records who did what to which object, and the answer; never the secret', async () => {
    const created = await api.call('POST', '/api/v1/namespaces/default/pods', { token: api.tokens.edit, body: pod('au-1') });
    expect(created.status).toBe(201);
    const [e] = await settled(1);
    expect(created.headers.get('audit-id')).toBe(e!.auditID);
    expect(e).toMatchObject({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      stage: 'ResponseComplete',
      verb: 'create',
      requestURI: '/api/v1/namespaces/default/pods',
      user: { username: 'tok2', groups: ['drover:edit'] },
      objectRef: { resource: 'pods', namespace: 'default', name: 'au-1', apiGroup: '', apiVersion: 'v1' },
      responseStatus: { code: 201 },
      annotations: { 'pod-security.kubernetes.io/enforce-policy': 'baseline:latest' },
    });
    expect(JSON.stringify(e)).not.toContain('secret');
  });

  it('records refusals with their reason, reads as get/list, and nothing for health checks', async () => {
    await api.call('GET', '/healthz', { token: null });
    const denied = await api.call('PUT', '/api/v1/namespaces/default/pods/au-1/status', { token: api.tokens.edit, body: { ...pod('au-1'), status: { phase: 'Running' } } });
    expect(denied.status).toBe(403);
    await api.call('GET', '/api/v1/namespaces/default/pods', { token: api.tokens.view });
    await api.call('GET', '/api/v1/pods', { token: null });
    const [status, list, anonymous, ...rest] = await settled(3);
    expect(rest).toEqual([]);
    expect(status).toMatchObject({ verb: 'update', objectRef: { resource: 'pods', name: 'au-1', subresource: 'status' }, responseStatus: { code: 403, status: 'Failure', reason: 'Forbidden' } });
    expect(list).toMatchObject({ verb: 'list', user: { username: 'tok3', groups: ['drover:view'] }, responseStatus: { code: 200 } });
    expect(anonymous).toMatchObject({ user: { username: 'system:anonymous' }, responseStatus: { code: 401, reason: 'Unauthorized' } });
  });

  it('records a watch when its stream starts and when it ends', async () => {
    const controller = new AbortController();
    const res = await fetch(`${api.url}/api/v1/namespaces/default/pods?watch=1`, { headers: { authorization: `Bearer ${api.tokens.view}` }, signal: controller.signal });
    expect(res.status).toBe(200);
    const [started] = await settled(1);
    expect(started).toMatchObject({ stage: 'ResponseStarted', verb: 'watch' });
    controller.abort();
    const [ended] = await settled(1);
    expect(ended).toMatchObject({ stage: 'ResponseComplete', verb: 'watch', auditID: started!.auditID });
  });
});

describe('audit event and Warning header details', () => {
  it("leaves a token passed in the query out of the request URI", () => {
    const url = new URL('http://drover.invalid/status.json?token=drover-api.abc.s3cret&x=1');
    const e = auditEventOf({
      auditID: 'a',
      stage: 'ResponseComplete',
      route: parseRoute(url.pathname),
      method: 'GET',
      url,
      req: { headers: {}, socket: { remoteAddress: '10.0.0.9' } } as unknown as IncomingMessage,
      principal: { id: 'abc', role: 'view', namespace: 'team' },
      code: 200,
      failure: undefined,
      receivedAt: 0,
      now: 1,
      audit: { annotations: {} },
    });
    expect(e.requestURI).toBe('/status.json?token=REDACTED&x=1');
    expect(e.user).toEqual({ username: 'abc', groups: ['drover:view'], extra: { 'drover.io/namespace': ['team'] } });
    expect(e.sourceIPs).toEqual(['10.0.0.9']);
  });

  it('sends warnings as 299 - "text", escaped, once each', () => {
    const headers = new Map<string, unknown>();
    const res = { getHeader: (k: string) => headers.get(k), setHeader: (k: string, v: unknown) => headers.set(k, v) } as unknown as ServerResponse;
    addWarning(res, 'would violate PodSecurity "restricted:latest": x');
    addWarning(res, 'would violate PodSecurity "restricted:latest": x');
    addWarning(res, 'host é\n\\');
    expect(headers.get('Warning')).toEqual(['299 - "would violate PodSecurity \\"restricted:latest\\": x"', '299 - "host ??\\\\"']);
  });
});
