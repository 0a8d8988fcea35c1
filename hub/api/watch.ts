/**
 * `?watch=1` on a list path (or the legacy /watch/ prefix): a chunked stream of JSON lines
 * {"type":"ADDED|MODIFIED|DELETED","object":{...}}, as Kubernetes sends them.
 *
 * - Without resourceVersion (or with "0"), the current objects come first as ADDED events, then
 *   changes after the list's revision. With resourceVersion=N, changes after N. `sendInitialEvents`,
 *   `allowWatchBookmarks` and `resourceVersionMatch` as Kubernetes (watch-semantics.ts): BOOKMARKs
 *   every bookmark interval, and one annotated `k8s.io/initial-events-end` after the initial events.
 * - A revision older than the store's history yields one ERROR event carrying a 410 Expired Status.
 * - With selectors, an object that stops matching is reported DELETED, one that starts matching ADDED.
 * - Asked for a Table (kubectl get -w), each event's object is a one-row Table (watch-table.ts).
 * - timeoutSeconds= ends the stream; so do a client disconnect and the server closing. The store
 *   watch is always closed.
 *
 * Memory per watcher is bounded, however slowly its client reads (a client that never reads must not
 * make the hub buffer): the initial list comes from the informer cache (shared objects, no copy) and
 * is written one object at a time, waiting for the socket to drain, while live changes queue behind
 * it; live changes come from the store as JSON text (no parse or stringify per watcher unless a
 * selector must read them). A client that falls `maxWatchBufferBytes` behind (queued, or buffered in
 * the socket) gets an ERROR event (410 Expired, so client-go re-lists) and its connection is ended,
 * then destroyed if it does not take even that.
 */
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../protocol/objects/meta.js';
import { RevisionCompactedError } from '../store/errors.js';
import type { RawWatchEvent, Watch } from '../store/store.js';
import type { ApiDeps, Reply, RequestContext } from './context.js';
import type { ResourceRoute } from './router.js';
import { equalityFields, matchesSelectors, parseSelectors, type Selectors } from './selectors.js';
import { failureStatus, toApiError } from './status.js';
import { parseIncludeObject, wantsTable } from './table.js';
import { createWatchTableEncoder } from './watch-table.js';
import { DEFAULT_BOOKMARK_INTERVAL_MS, bookmarkLine, watchOptionsOf } from './watch-semantics.js';

/** A cut-off client gets this long to take its last event before its connection is destroyed. */
const CUT_OFF_GRACE_MS = 5000;

function objectKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

export async function serveWatch(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps): Promise<Reply> {
  const params = ctx.url.searchParams;
  const selectors: Selectors = parseSelectors(params);
  if (route.name !== undefined) selectors.fields.push({ field: 'metadata.name', operator: '=', value: route.name });
  const options = watchOptionsOf(params);
  const fromParam = options.fromRevision;
  const timeoutSeconds = options.timeoutSeconds;
  const kind = route.info.kind;
  const namespace = route.info.namespaced ? route.namespace : undefined;
  const filtered = selectors.labels !== undefined || selectors.fields.length > 0;
  const tableVersion = wantsTable(ctx.req.headers.accept);
  const asTable = tableVersion
    ? createWatchTableEncoder({ kind, version: tableVersion, includeObject: parseIncludeObject(params.get('includeObject')), clock: deps.clock })
    : undefined;
  const log = deps.logger.child({ watch: route.info.plural, namespace });

  // Without a starting revision: the current state first, as ADDED events (the cache's objects are
  // shared and frozen: listing them copies nothing).
  let initial: readonly KubeObject[] = [];
  let fromRevision = fromParam;
  if (options.sendInitialEvents) {
    const listOptions = { namespace, labelSelector: selectors.labels, fieldSelector: equalityFields(selectors.fields) };
    const listed = deps.cache.holds(kind)
      ? { items: deps.cache.kind(kind).list(listOptions), revision: deps.cache.revision() }
      : await deps.store.list(kind, listOptions);
    initial = listed.items.filter((o) => matchesSelectors(o, selectors));
    fromRevision = listed.revision;
  } else if (fromRevision === undefined) {
    fromRevision = deps.cache.revision(); // sendInitialEvents=false: changes from now on
  }
  const knownFromStart = options.sendInitialEvents;
  /** The newest revision this stream has sent (or started after): what a BOOKMARK may promise. */
  let sentRevision = fromRevision;
  const matching = new Set(initial.map(objectKey));

  const { res, req } = ctx;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.flushHeaders();

  let storeWatch: Watch | undefined;
  let timer: NodeJS.Timeout | undefined;
  let bookmarks: NodeJS.Timeout | undefined;
  let ended = false;
  const stream = {
    end(): void {
      if (ended) return;
      ended = true;
      storeWatch?.close();
      if (timer) clearTimeout(timer);
      if (bookmarks) clearInterval(bookmarks);
      deps.activeStreams.delete(stream);
      deps.metrics.watchOpen(-1);
      if (!res.writableEnded) res.end();
      log.debug('watch ended');
    },
  };
  deps.activeStreams.add(stream);
  deps.metrics.watchOpen(1);
  req.on('close', () => stream.end());
  res.on('close', () => stream.end());
  res.on('error', (err) => {
    log.debug({ err }, 'watch stream write failed');
    stream.end();
  });

  const statusLine = (type: string, object: unknown): string => `${JSON.stringify({ type, object })}\n`;
  const objectLine = (type: string, object: KubeObject): string => (asTable ? asTable(type, object) : statusLine(type, object));
  const rawLine = (type: string, json: string): string => (asTable ? asTable(type, JSON.parse(json) as KubeObject) : `{"type":"${type}","object":${json}}\n`);

  /** Too far behind: the Kubernetes error (client-go re-lists), then the connection goes. */
  const cutOff = (): void => {
    const behind = res.writableLength;
    log.warn({ buffered: behind, limit: deps.maxWatchBufferBytes }, 'watch client too slow: cutting it off');
    deps.metrics.watchCutOff();
    const status = failureStatus('Expired', `the watch client fell ${behind} bytes behind (limit ${deps.maxWatchBufferBytes}): re-list and watch again`);
    res.write(statusLine('ERROR', status));
    stream.end();
    setTimeout(() => res.destroy(), CUT_OFF_GRACE_MS).unref();
  };

  /** Write one event line; false when the socket wants a drain first. */
  const write = (line: string): boolean => {
    if (ended) return false;
    const flowing = res.write(line);
    if (res.writableLength > deps.maxWatchBufferBytes) cutOff();
    return flowing;
  };

  // Live changes that come while the initial list is still being written wait here, bounded like
  // the socket: a client stuck in its initial list is cut off once this much has piled up behind it.
  let queued: string[] | undefined = [];
  let queuedBytes = 0;
  const emit = (line: string): void => {
    if (ended) return;
    if (!queued) {
      write(line);
      return;
    }
    queued.push(line);
    queuedBytes += line.length;
    if (queuedBytes > deps.maxWatchBufferBytes) cutOff();
  };

  const onEvent = (event: RawWatchEvent): void => {
    if (ended) return;
    sentRevision = Math.max(sentRevision, event.revision);
    if (!filtered) {
      emit(rawLine(event.type, event.json));
      return;
    }
    const obj = JSON.parse(event.json) as KubeObject;
    const key = objectKey(obj);
    const nowMatches = matchesSelectors(obj, selectors);
    const wasMatching = matching.has(key);
    if (event.type === 'DELETED') {
      matching.delete(key);
      if (wasMatching || nowMatches) emit(rawLine('DELETED', event.json));
    } else if (nowMatches) {
      matching.add(key);
      emit(rawLine(event.type === 'ADDED' || (knownFromStart && !wasMatching) ? 'ADDED' : 'MODIFIED', event.json));
    } else if (wasMatching) {
      matching.delete(key);
      emit(rawLine('DELETED', event.json));
    }
  };

  if (timeoutSeconds !== undefined) timer = setTimeout(() => stream.end(), timeoutSeconds * 1000);
  try {
    storeWatch = deps.store.watchJson({ kind, namespace, fromRevision }, onEvent);
  } catch (err) {
    if (!(err instanceof RevisionCompactedError)) log.error({ err }, 'watch failed to start');
    write(statusLine('ERROR', toApiError(err).toStatus()));
    stream.end();
    return { handled: true };
  }
  if (ended) storeWatch.close(); // the client left while the watch was being set up

  for (const obj of initial) {
    if (!write(objectLine('ADDED', obj))) await drainedOrClosed(res);
    if (ended) return { handled: true };
  }
  const backlog = queued;
  queued = undefined;
  for (const line of backlog) write(line);
  const { apiVersion } = route.info;
  if (options.allowBookmarks) {
    // the initial events end at the list's revision (changes after it may already be on their way)
    if (options.initialEventsEndBookmark) write(bookmarkLine(apiVersion, kind, fromRevision, true));
    // Store deliveries are microtasks: by the time a timer runs, every change up to the cache's
    // revision has reached this stream (sent, or filtered out), so the bookmark promises no more than that.
    bookmarks = setInterval(() => {
      sentRevision = Math.max(sentRevision, deps.cache.revision());
      write(bookmarkLine(apiVersion, kind, sentRevision, false));
    }, deps.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS);
  }
  return { handled: true };
}

/** Resolves when the response can take more, or is gone. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  if (res.destroyed || res.writableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
