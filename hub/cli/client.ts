/**
 * A small HTTP client for the hub's API, on fetch. Failures become typed errors: ServerError with the
 * hub's Status message, ServerUnreachableError naming the server tried and how to set another.
 */
import type { KindInfo } from '../../protocol/kinds.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { Connection } from './config.js';
import { ServerError, ServerUnreachableError } from './errors.js';
import { createCaFetch } from './tls-fetch.js';

export interface ObjectList<T = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string };
  items: T[];
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR';
  object: T;
}

export interface RequestOptions {
  body?: unknown;
  /** Bytes sent as they are (an image archive), with `contentType` (default application/octet-stream). */
  rawBody?: Uint8Array;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

export interface ApiClient {
  readonly server: string;
  request<T = unknown>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  /** A request whose answer is plain text (pod logs). */
  requestText(method: string, path: string, opts?: RequestOptions): Promise<string>;
  /** GET that answers undefined for 404 instead of throwing. */
  getOptional<T = KubeObject>(path: string): Promise<T | undefined>;
  /** Stream a watch; resolves when the server ends it or `signal` aborts. */
  watch<T = KubeObject>(path: string, query: RequestOptions['query'], onEvent: (e: WatchEvent<T>) => void, signal?: AbortSignal): Promise<void>;
}

/** /api/v1/namespaces/NS/pods/NAME and friends. */
export function resourcePath(info: KindInfo, namespace: string | undefined, name?: string): string {
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  const ns = info.namespaced && namespace !== undefined ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${info.plural}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

function buildUrl(server: string, path: string, query: RequestOptions['query']): string {
  const url = new URL(path, `${server}/`);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused';
  if (cause?.code === 'ENOTFOUND') return 'host not found';
  if (cause?.code === 'ETIMEDOUT' || cause?.code === 'UND_ERR_CONNECT_TIMEOUT') return 'connection timed out';
  return cause?.message ?? (err as Error).message;
}

async function failure(res: Response): Promise<ServerError> {
  const text = await res.text();
  try {
    const status = JSON.parse(text) as { kind?: string; message?: string; reason?: string; details?: unknown };
    if (status.kind === 'Status' && status.message) return new ServerError(res.status, status.reason ?? '', status.message, status.details);
  } catch {
    // not JSON: fall through to the plain-text message below
  }
  return new ServerError(res.status, '', `the hub answered HTTP ${res.status}${text ? `: ${text.slice(0, 300).trim()}` : ''}`);
}

/** Without a fetchImpl, https:// servers are verified against conn.certificateAuthority (the hub CA) when there is one. */
export function createClient(
  conn: Connection,
  fetchImpl: typeof fetch = conn.certificateAuthority ? createCaFetch(conn.certificateAuthority) : fetch,
): ApiClient {
  const unreachable = (err: unknown) =>
    new ServerUnreachableError(
      conn.server,
      describeNetworkError(err),
      `Is the hub running ("drover hub" or "drover up")? The server came from ${conn.source}; set another with --server, DROVER_SERVER or "server" in ${conn.configPath}.`,
      { cause: err },
    );

  async function send(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (conn.token) headers.authorization = `Bearer ${conn.token}`;
    let body: string | Uint8Array | undefined;
    if (opts.rawBody !== undefined) {
      body = opts.rawBody;
      headers['content-type'] = opts.contentType ?? 'application/octet-stream';
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    try {
      return await fetchImpl(buildUrl(conn.server, path, opts.query), { method, headers, body, signal: opts.signal });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw unreachable(err);
    }
  }

  const client: ApiClient = {
    server: conn.server,
    async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
      const res = await send(method, path, opts);
      if (!res.ok) throw await failure(res);
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async requestText(method: string, path: string, opts: RequestOptions = {}): Promise<string> {
      const res = await send(method, path, opts);
      if (!res.ok) throw await failure(res);
      return res.text();
    },
    async getOptional<T>(path: string): Promise<T | undefined> {
      try {
        return await client.request<T>('GET', path);
      } catch (err) {
        if (err instanceof ServerError && err.httpStatus === 404) return undefined;
        throw err;
      }
    },
    async watch<T>(path: string, query: RequestOptions['query'], onEvent: (e: WatchEvent<T>) => void, signal?: AbortSignal) {
      let res: Response;
      try {
        res = await send('GET', path, { query: { ...query, watch: 1 }, signal });
      } catch (err) {
        if ((err as Error).name === 'AbortError') return;
        throw err;
      }
      if (!res.ok || !res.body) throw await failure(res);
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of res.body) {
          buffer += decoder.decode(chunk as Uint8Array, { stream: true });
          let i: number;
          while ((i = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, i).trim();
            buffer = buffer.slice(i + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
          }
        }
      } catch (err) {
        if ((err as Error).name !== 'AbortError') throw err;
      }
    },
  };
  return client;
}
