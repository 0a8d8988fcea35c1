import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlowControl } from '../../../hub/api/flow-control.js';
import { ApiError } from '../../../hub/api/status.js';
import { startTestApi, type TestApi } from './support.js';

const view = { id: 'v1', role: 'view' as const };
const admin = { id: 'a1', role: 'admin' as const };

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('flow control (unit, fake clock)', () => {
  it('lets a token burst, then refuses at its rate with 429 and Retry-After, and refills with time', () => {
    let now = 0;
    const flow = createFlowControl({ qps: 2, burst: 3, clock: () => now });
    for (let i = 0; i < 3; i++) flow.admit(view, 'request')();
    const err = refusal(() => flow.admit(view, 'request'));
    expect(err.httpCode).toBe(429);
    expect(err.reason).toBe('TooManyRequests');
    expect(err.details?.retryAfterSeconds).toBe(1);
    expect(err.message).toContain('token "v1"');
    now += 500; // one token back at 2 per second
    flow.admit(view, 'request')();
    expect(() => flow.admit(view, 'request')).toThrow(ApiError);
    expect(flow.usage().refused.rate).toBe(2);
  });

  it('does not rate-limit admin tokens, but bounds their requests in flight', () => {
    const flow = createFlowControl({ qps: 1, burst: 1, maxInflightPerToken: 2, clock: () => 0 });
    const releases = [flow.admit(admin, 'request'), flow.admit(admin, 'request')];
    expect(refusal(() => flow.admit(admin, 'request')).message).toContain('2 requests in flight');
    releases[0]!();
    releases[0]!(); // releasing twice frees one slot only
    flow.admit(admin, 'request');
    expect(() => flow.admit(admin, 'request')).toThrow(ApiError);
    expect(flow.usage()).toMatchObject({ inflight: 2, refused: { inflight: 2 } });
  });

  it('bounds open watches per token apart from requests, and one token does not use up another', () => {
    const flow = createFlowControl({ maxWatchesPerToken: 2, clock: () => 0 });
    const w1 = flow.admit(view, 'watch');
    flow.admit(view, 'watch');
    expect(refusal(() => flow.admit(view, 'watch')).message).toContain('2 open watches');
    flow.admit(view, 'request')(); // requests still pass
    flow.admit({ id: 'v2', role: 'view' }, 'watch'); // another token has its own
    w1();
    flow.admit(view, 'watch');
    expect(flow.usage()).toMatchObject({ watches: 3, refused: { watches: 1 } });
  });

  it('forgets tokens that are idle with a full bucket', () => {
    let now = 0;
    const flow = createFlowControl({ qps: 10, burst: 10, clock: () => now });
    flow.admit(view, 'request')();
    expect(flow.usage().tokens).toBe(1);
    now += 1000;
    flow.admit({ id: 'other', role: 'view' }, 'request')();
    flow.admit(view, 'request')(); // refilled to the brim before this one: taken, one short, kept
    expect(flow.usage().tokens).toBe(2);
  });
});

describe('flow control over HTTP', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ server: { flowControl: { qps: 1, burst: 5, maxWatchesPerToken: 1 } } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers a view token over its rate with a Kubernetes 429 Status and Retry-After; admin is unaffected', async () => {
    const codes: number[] = [];
    let last: Awaited<ReturnType<TestApi['call']>> | undefined;
    for (let i = 0; i < 8; i++) {
      last = await api.call('GET', '/api/v1/namespaces/default/pods', { token: api.tokens.view });
      codes.push(last.status);
    }
    expect(codes.slice(0, 5).every((c) => c === 200)).toBe(true);
    expect(codes).toContain(429);
    const refused = await api.call('GET', '/api/v1/namespaces/default/pods', { token: api.tokens.view });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.body).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 1 } });
    for (let i = 0; i < 10; i++) expect((await api.call('GET', '/api/v1/namespaces/default/pods')).status).toBe(200);
    const metrics = await api.call('GET', '/metrics');
    expect(String(metrics.body)).toMatch(/drover_api_requests_total\{verb="list",resource="pods",code="429"\} \d+/);
  });

  it('refuses a second open watch of one token and admits it once the first is closed', async () => {
    const first = new AbortController();
    const open = await fetch(`${api.url}/api/v1/namespaces/default/pods?watch=1`, {
      headers: { authorization: `Bearer ${api.tokens.admin}` },
      signal: first.signal,
    });
    expect(open.status).toBe(200);
    const second = await api.call('GET', '/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1');
    expect(second.status).toBe(429);
    expect(second.body.message).toContain('1 open watches');
    first.abort();
    await open.body?.cancel().catch(() => undefined);
    let status = 429;
    for (let i = 0; i < 200 && status === 429; i++) {
      await new Promise((r) => setTimeout(r, 10));
      status = (await api.call('GET', '/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1')).status;
    }
    expect(status).toBe(200);
  });
});

describe('a client that never reads its answer', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ server: { requestTimeoutMs: 2000 } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('loses its connection after the request timeout, freeing its slot (no response held for it)', async () => {
    const filler = 'x'.repeat(20_000);
    for (let i = 0; i < 400; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, k) =>
          api.call('POST', '/api/v1/namespaces/default/configmaps', { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `big-${i + k}` }, data: { filler } } }),
        ),
      );
    }
    // the /metrics request itself is one of those in flight
    const inflight = async () => Number(/^drover_api_inflight_requests (\d+)/m.exec(String((await api.call('GET', '/metrics')).body))?.[1]) - 1;
    const socket = connect({ host: '127.0.0.1', port: Number(new URL(api.url).port) });
    await once(socket, 'connect');
    socket.pause();
    socket.write(`GET /api/v1/configmaps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.tokens.view}\r\n\r\n`);
    // an 8 MB answer is more than loopback's socket buffers take: it is held until the timeout
    await expect.poll(inflight, { timeout: 20_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(inflight, { timeout: 30_000 }).toBe(0);
    socket.destroy();
  });
});
