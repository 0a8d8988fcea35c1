/**
 * A fetch that trusts the hub's own CA for https:// URLs (Node's global fetch cannot be given a CA
 * without undici, which Drover does not ship). Plain http:// goes to the global fetch. Network
 * failures reject like fetch does (TypeError "fetch failed" with the socket error as cause), aborts
 * with the signal's reason (an AbortError, or AbortSignal.timeout's TimeoutError), before the answer
 * or while its body is read, so the API client handles both the same way.
 */
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { Readable } from 'node:stream';

function headersOf(init: RequestInit): Record<string, string> {
  return Object.fromEntries(new Headers(init.headers).entries());
}

/** What fetch rejects with (and errors a body with) once `signal` aborts: its reason, else an AbortError. */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

export function createCaFetch(ca: string, fallback: typeof fetch = fetch): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.protocol !== 'https:') return fallback(input, init);
    const method = (init.method ?? 'GET').toUpperCase();
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw abortReason(signal);
    return new Promise<Response>((resolve, reject) => {
      const headers = headersOf(init);
      // like fetch: a string body goes with its length, never chunked
      if (typeof init.body === 'string') headers['content-length'] = String(Buffer.byteLength(init.body));
      else if (init.body instanceof Uint8Array) headers['content-length'] = String(init.body.byteLength);
      let answer: IncomingMessage | undefined;
      // like fetch: an abort rejects the request, or errors the body being read, with the signal's reason
      const onAbort = () => {
        const reason = abortReason(signal!);
        if (answer) answer.destroy(reason instanceof Error ? reason : new Error(String(reason)));
        else {
          reject(reason);
          req.destroy();
        }
      };
      const req = request(url, { method, headers, ca }, (res) => {
        answer = res;
        res.once('close', () => signal?.removeEventListener('abort', onAbort));
        const answerHeaders = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (Array.isArray(v)) for (const one of v) answerHeaders.append(k, one);
          else if (v !== undefined) answerHeaders.set(k, v);
        }
        const status = res.statusCode ?? 502;
        const empty = method === 'HEAD' || status === 204 || status === 304;
        if (empty) res.resume();
        const body = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers: answerHeaders }));
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(new TypeError('fetch failed', { cause: err }));
      });
      if (typeof init.body === 'string' || init.body instanceof Uint8Array) req.write(init.body);
      else if (init.body !== undefined && init.body !== null) {
        req.destroy();
        reject(new TypeError('createCaFetch: only string and byte bodies are supported'));
        return;
      }
      req.end();
    });
  }) as typeof fetch;
}
