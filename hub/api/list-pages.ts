/**
 * LIST served from the informer cache, with Kubernetes' paging: `?limit=N` returns at most N items
 * and, when more follow, `metadata.continue` (an opaque token) and `remainingItemCount`; the next
 * request passes `?continue=TOKEN` (with the same selectors) and gets the items after the last one
 * sent, in the same namespace/name order.
 *
 * Every page carries the first page's resourceVersion, so a client that lists in pages and then
 * watches from it sees every change made since the list began. Pages after the first show the cache
 * as it is when they are read (Kubernetes serves them from a snapshot; a watch from the list's
 * resourceVersion makes up the difference; if that revision has left the store's kept history the
 * watch answers 410 Gone and the client lists again, as with Kubernetes).
 */
import type { KubeObject } from '../../protocol/objects/meta.js';
import { apiErrors } from './status.js';

interface ContinueToken {
  /** resourceVersion of the first page */
  rv: number;
  /** namespace and name of the last item sent */
  ns: string;
  name: string;
}

/** The cache's order: namespace, then name. */
function after(o: KubeObject, ns: string, name: string): boolean {
  const ons = o.metadata.namespace ?? '';
  return ons !== ns ? ons > ns : o.metadata.name > name;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(text: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Partial<ContinueToken>;
    if (typeof parsed.rv === 'number' && Number.isSafeInteger(parsed.rv) && typeof parsed.ns === 'string' && typeof parsed.name === 'string') {
      return { rv: parsed.rv, ns: parsed.ns, name: parsed.name };
    }
  } catch {
    // fall through to the error below: a token we did not make
  }
  throw apiErrors.badRequest('continue: the continue token is malformed');
}

export function parseLimit(text: string | null): number | undefined {
  if (text === null || text === '' || text === '0') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw apiErrors.badRequest(`limit must be a non-negative integer, not "${text}"`);
  return n;
}

export interface Page<T> {
  items: T[];
  resourceVersion: number;
  continue?: string;
  remainingItemCount?: number;
}

/** One page of `items` (sorted by namespace, then name; already filtered). `revision` is what the cache has applied now. */
export function pageOf<T extends KubeObject>(items: readonly T[], limit: number | undefined, continueText: string | null, revision: number): Page<T> {
  let start = 0;
  let rv = revision;
  if (continueText) {
    const token = decodeContinue(continueText);
    rv = token.rv;
    // binary search for the first item after the token's
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (after(items[mid]!, token.ns, token.name)) hi = mid;
      else lo = mid + 1;
    }
    start = lo;
  }
  if (limit === undefined || start + limit >= items.length) return { items: items.slice(start), resourceVersion: rv };
  const page = items.slice(start, start + limit);
  return {
    items: page,
    resourceVersion: rv,
    continue: encodeContinue({ rv, ns: page[page.length - 1]!.metadata.namespace ?? '', name: page[page.length - 1]!.metadata.name }),
    remainingItemCount: items.length - start - limit,
  };
}
