/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
/**
 * A real API server for tests: a SQLite store in a temp dir, the API on 127.0.0.1:0, and an auth
 * service with one token per role. Uses the hub's real auth service when it is importable, else a
 * small in-memory stand-in with the same ApiAuth surface.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { silentLogger } from '../../../protocol/logger.js';
import { createApiServer, type ApiServer } from '../../../hub/api/index.js';
import type { ApiServerOptions } from '../../../hub/api/server.js';
import type { ApiAuth, ApiPrincipal, ApiRole } from '../../../hub/api/auth.js';
import { createSqliteStore } from '../../../hub/store/index.js';
import type { Store } from '../../../hub/store/store.js';

export interface FakeAuth extends ApiAuth {
  revokedNodes: string[];
  issue(role: ApiRole, namespace?: string): string;
}

export function createFakeAuth(): FakeAuth {
  const tokens = new Map<string, ApiPrincipal>();
  const joinTokens = new Map<string, { id: string; expiresAt: string; description?: string; secretHash: string }>();
  let n = 0;
  const auth: FakeAuth = {
    revokedNodes: [],
    issue(role, namespace) {
      n++;
      const id = `tok${n}`;
      const token = `drover-api.${id}.secret${n}`;
      tokens.set(token, { id, role, ...(namespace ? { namespace } : {}) });
      return token;
    },
    async verifyApiToken(token) {
      return tokens.get(token);
    },
    async createJoinToken(o) {
      n++;
      const id = `j${n}`;
      const expiresAt = new Date(Date.now() + (o.ttlSeconds ?? 86400) * 1000).toISOString();
      joinTokens.set(id, { id, expiresAt, secretHash: 'hash', ...(o.description ? { description: o.description } : {}) });
      return { token: `drover-join.${id}.s3cr3t`, id, expiresAt };
    },
    async listJoinTokens() {
      return [...joinTokens.values()];
    },
    async revokeJoinToken(id) {
      joinTokens.delete(id);
    },
    async createApiToken(o) {
      const token = auth.issue(o.role, o.namespace);
      return { token, id: tokens.get(token)!.id };
    },
    async revokeNodeCredential(name) {
      auth.revokedNodes.push(name);
    },
  };
  return auth;
}

export interface TestApi {
  url: string;
  store: Store;
  auth: FakeAuth;
  server: ApiServer;
  registry: Registry;
  dir: string;
  tokens: { admin: string; edit: string; view: string; editTeamA: string };
  /** fetch with the admin token (or `token`), JSON body, parsed JSON answer. */
  call(method: string, path: string, opts?: { token?: string | null; body?: unknown; contentType?: string }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startTestApi(
  opts: {
    historyLimit?: number;
    maxBodyBytes?: number;
    clock?: () => number;
    wrapStore?: (s: Store) => Store;
    auditLog?: ApiServerOptions['auditLog'];
    /** More options of the server (flow control, the watch buffer). */
    server?: Pick<ApiServerOptions, 'flowControl' | 'maxWatchBufferBytes' | 'requestTimeoutMs' | 'leases' | 'bookmarkIntervalMs' | 'nodeLeasePollMs'>;
  } = {},
): Promise<TestApi> {
  const dir = await mkdtemp(join(tmpdir(), 'drover-api-'));
  const logger = silentLogger();
  const store = await createSqliteStore({ path: join(dir, 'state.db'), logger, ...(opts.historyLimit ? { historyLimit: opts.historyLimit } : {}) });
  const auth = createFakeAuth();
  const registry = new Registry();
  const server = createApiServer({ store: opts.wrapStore ? opts.wrapStore(store) : store, auth, logger, registry, ...(opts.maxBodyBytes ? { maxBodyBytes: opts.maxBodyBytes } : {}), ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.auditLog ? { auditLog: opts.auditLog } : {}), ...opts.server });
  const { port } = await server.listen('127.0.0.1', 0);
  const url = `http://127.0.0.1:${port}`;
  const tokens = { admin: auth.issue('admin'), edit: auth.issue('edit'), view: auth.issue('view'), editTeamA: auth.issue('edit', 'team-a') };
  return {
    url,
    store,
    auth,
    server,
    registry,
    dir,
    tokens,
    async call(method, path, o = {}) {
      const headers: Record<string, string> = {};
      const token = o.token === undefined ? tokens.admin : o.token;
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        headers['content-type'] = o.contentType ?? 'application/json';
      }
      const res = await fetch(`${url}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text; // not JSON (health, metrics, HTML): keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await server.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A pod of one container on port 80 (with `hostPort`, published on the node: baseline Pod Security refuses that to non-admin tokens). */
export function pod(name: string, extra: { nodeName?: string; labels?: Record<string, string>; namespace?: string; hostPort?: number } = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, ...(extra.namespace ? { namespace: extra.namespace } : {}), ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      ...(extra.nodeName ? { nodeName: extra.nodeName } : {}),
      containers: [{ name: 'main', image: 'drover.local/busybox:test', ports: [{ containerPort: 80, ...(extra.hostPort ? { hostPort: extra.hostPort } : {}) }] }],
    },
  };
}

/** A Node as the fleet layer would store it (nodes cannot be created through the API). */
export async function putNode(store: Store, name: string, status: Record<string, unknown> = {}): Promise<void> {
  await store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name, namespace: '', labels: { 'kubernetes.io/hostname': name } }, spec: {}, status });
}

export interface WatchLine {
  type: string;
  object: any;
}

/** Open a watch and read its JSON lines as they come. */
export async function openWatch(api: TestApi, path: string, token = api.tokens.admin, accept?: string) {
  const controller = new AbortController();
  const res = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...(accept ? { accept } : {}) }, signal: controller.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: WatchLine[] = [];
  let done = false;
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done: d } = await reader.read();
        if (d) break;
        buffer += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          queue.push(JSON.parse(buffer.slice(0, i)) as WatchLine);
          buffer = buffer.slice(i + 1);
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      done = true;
    }
  })();
  return {
    res,
    async next(n: number, timeoutMs = 5000): Promise<WatchLine[]> {
      const deadline = Date.now() + timeoutMs;
      while (queue.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${queue.length} of ${n} watch events: ${JSON.stringify(queue)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return queue.splice(0, n);
    },
    ended: () => done,
    pump,
    close: () => controller.abort(),
  };
}
