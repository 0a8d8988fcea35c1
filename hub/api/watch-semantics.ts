/**
 * Kubernetes' resourceVersion semantics for LIST and WATCH, as client-go relies on them
 * (https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions):
 *
 * - LIST: no `resourceVersion` = the most recent state; `0` = any state (served from the cache);
 *   `N` (`resourceVersionMatch=NotOlderThan`, the default) = a state at least as new as N;
 *   `resourceVersionMatch=Exact` = exactly N. The hub's lists come from its informer cache, which is
 *   always at the newest revision the store applied: NotOlderThan N is served once the cache has N
 *   (a revision the store has not reached is waited for 3 s, then 504 "Too large resource version",
 *   as kube-apiserver); Exact N is served when N is the current revision, else 410 Expired (the hub
 *   keeps no past snapshots to list from).
 * - `continue`: a token whose revision has left the store's history is 410 Expired with Kubernetes'
 *   message and a new token in `metadata.continue` that continues from the same place, inconsistently.
 * - WATCH: `allowWatchBookmarks=true` gets BOOKMARK events (only `metadata.resourceVersion` of an
 *   empty object of the kind) every `bookmarkIntervalMs` (default 60 s, kube-apiserver's is about a
 *   minute); `sendInitialEvents=true` (with `resourceVersionMatch=NotOlderThan` and bookmarks, the
 *   watch-list of client-go) sends the current objects as ADDED, then a BOOKMARK annotated
 *   `k8s.io/initial-events-end: "true"`; `sendInitialEvents=false` sends none.
 */
import type { ObjectCache } from '../cache/object-cache.js';
import type { Store } from '../store/store.js';
import { encodeContinue, decodeContinue } from './list-pages.js';
import { ApiError, apiErrors } from './status.js';

export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;
/** How long a LIST waits for the cache to reach a resourceVersion ahead of it (kube-apiserver: 3 s). */
export const TOO_LARGE_RV_WAIT_MS = 3000;
export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

export type ResourceVersionMatch = 'NotOlderThan' | 'Exact' | undefined;

export interface WatchOptions {
  /** The revision the watch starts after, when the client named one (not "0"). */
  fromRevision: number | undefined;
  /** Send the current objects as ADDED first. */
  sendInitialEvents: boolean;
  /** The client asked for the initial-events-end BOOKMARK (sendInitialEvents=true). */
  initialEventsEndBookmark: boolean;
  allowBookmarks: boolean;
  timeoutSeconds: number | undefined;
}

function parseResourceVersion(text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw apiErrors.badRequest(`resourceVersion: Invalid value: "${text}": must be a revision number`);
  return n;
}

function parseMatch(text: string | null): ResourceVersionMatch {
  if (text === null || text === '') return undefined;
  if (text === 'NotOlderThan' || text === 'Exact') return text;
  throw invalidOption('resourceVersionMatch', `Unsupported value: "${text}": supported values: "Exact", "NotOlderThan"`);
}

function isTrue(text: string | null): boolean {
  return text === 'true' || text === '1';
}

/** 422 as kube-apiserver answers a bad ListOptions (Kubernetes validates them as an object). */
function invalidOption(field: string, message: string): ApiError {
  return new ApiError('Invalid', `ListOptions.meta.k8s.io "" is invalid: ${field}: ${message}`, {
    kind: 'ListOptions',
    group: 'meta.k8s.io',
    causes: [{ field, message, reason: 'FieldValueInvalid' }],
  });
}

function parseTimeout(text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw apiErrors.badRequest(`timeoutSeconds must be a non-negative number, not "${text}"`);
  return n === 0 ? undefined : n;
}

export function watchOptionsOf(params: URLSearchParams): WatchOptions {
  const rv = parseResourceVersion(params.get('resourceVersion'));
  const match = parseMatch(params.get('resourceVersionMatch'));
  const sendText = params.get('sendInitialEvents');
  const allowBookmarks = isTrue(params.get('allowWatchBookmarks'));
  if (sendText !== null && sendText !== '') {
    if (match !== 'NotOlderThan') throw invalidOption('resourceVersionMatch', 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan');
    if (!allowBookmarks) throw invalidOption('allowWatchBookmarks', 'Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true');
  } else if (match !== undefined) {
    throw invalidOption('resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
  }
  const fromRevision = rv === 0 ? undefined : rv;
  const explicit = sendText === null || sendText === '' ? undefined : isTrue(sendText);
  return {
    fromRevision,
    // legacy watch: the initial state comes first unless the client names a revision to start after
    sendInitialEvents: explicit ?? fromRevision === undefined,
    initialEventsEndBookmark: explicit === true,
    allowBookmarks,
    timeoutSeconds: parseTimeout(params.get('timeoutSeconds')),
  };
}

/** A BOOKMARK event line: an object of the kind with only its resourceVersion (and the initial-events-end annotation). */
export function bookmarkLine(apiVersion: string, kind: string, revision: number, initialEventsEnd: boolean): string {
  const metadata = { resourceVersion: String(revision), ...(initialEventsEnd ? { annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } : {}) };
  return `${JSON.stringify({ type: 'BOOKMARK', object: { kind, apiVersion, metadata } })}\n`;
}

function tooLarge(requested: number, current: number): ApiError {
  return new ApiError('Timeout', `Too large resource version: ${requested}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

/**
 * Wait (at most `waitMs`) for the cache to apply `revision`; 504 Too large resource version if it does
 * not. Polled, not a cache waiter: a client naming revisions far ahead must not leave waiters behind.
 */
async function cacheAt(cache: Pick<ObjectCache, 'revision'>, revision: number, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (cache.revision() < revision) {
    if (Date.now() >= deadline) throw tooLarge(revision, cache.revision());
    await new Promise((resolve) => setTimeout(resolve, Math.min(100, waitMs)));
  }
}

const CONTINUE_EXPIRED =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, ' +
  'or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an ' +
  'inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** The revision after which the store still has every change (0 when the store does not say). */
async function compactedRevision(store: Store): Promise<number> {
  return (await store.compactedRevision?.()) ?? 0;
}

/**
 * Before a LIST is served from the cache: check `resourceVersion`, `resourceVersionMatch` and
 * `continue` against what the hub can serve. Resolves when the cache's current state answers the
 * request; throws the ApiError Kubernetes would answer otherwise.
 */
export async function checkListVersion(
  params: URLSearchParams,
  deps: { store: Store; cache: Pick<ObjectCache, 'revision'> },
  waitMs = TOO_LARGE_RV_WAIT_MS,
): Promise<void> {
  const rv = parseResourceVersion(params.get('resourceVersion'));
  const match = parseMatch(params.get('resourceVersionMatch'));
  const continueText = params.get('continue');
  if (continueText) {
    if (rv !== undefined) throw invalidOption('resourceVersion', 'Forbidden: specifying resource version is not allowed when using continue');
    const token = decodeContinue(continueText);
    if (token.rv < (await compactedRevision(deps.store))) {
      const error = new ApiError('Expired', CONTINUE_EXPIRED);
      error.listContinue = encodeContinue({ ...token, rv: deps.cache.revision() });
      throw error;
    }
    return;
  }
  if (match !== undefined && rv === undefined) throw invalidOption('resourceVersionMatch', 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (rv === undefined || rv === 0) {
    if (match === 'Exact') throw invalidOption('resourceVersionMatch', 'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
    return;
  }
  // a limit with a resourceVersion and no match is Exact in Kubernetes' legacy semantics; the hub
  // serves the newest state for it (its pages are not snapshots either: list-pages.ts)
  if (match === 'Exact') {
    const current = deps.cache.revision();
    if (rv > current) return cacheAt(deps.cache, rv, waitMs).then(() => {
      if (deps.cache.revision() !== rv) throw expiredList();
    });
    if (rv < current) throw expiredList();
    return;
  }
  await cacheAt(deps.cache, rv, waitMs);
}

function expiredList(): ApiError {
  return new ApiError('Expired', 'The resourceVersion for the provided list is too old.');
}
