/**
 * `?watch=1` on a list path (or the legacy /watch/ prefix): a chunked stream of JSON lines
 * {"type":"ADDED|MODIFIED|DELETED","object":{...}}, as Kubernetes sends them.
 *
 * - Without resourceVersion (or with "0"), the current objects come first as ADDED events, then
 *   changes after the list's revision. With resourceVersion=N, changes after N.
 * - A revision older than the store's history yields one ERROR event carrying a 410 Gone Status.
 * - With selectors, an object that stops matching is reported DELETED, one that starts matching ADDED.
 * - timeoutSeconds= ends the stream; so do a client disconnect, a client too slow to keep up, and
 *   the server closing. The store watch is always closed.
 */
import type { KubeObject } from '../../protocol/objects/meta.js';
import { RevisionCompactedError } from '../store/errors.js';
import type { Watch, WatchEvent } from '../store/store.js';
import type { ApiDeps, Reply, RequestContext } from './context.js';
import type { ResourceRoute } from './router.js';
import { equalityFields, matchesSelectors, parseSelectors, type Selectors } from './selectors.js';
import { apiErrors, toApiError } from './status.js';

/** A client this far behind is cut off (it will re-list and watch again). */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

function objectKey(obj: KubeObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

function parseRevision(text: string | null): number | undefined {
  if (text === null || text === '' || text === '0') return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw apiErrors.badRequest(`resourceVersion must be a revision number, not "${text}"`);
  return n;
}

function parseTimeout(text: string | null): number | undefined {
  if (text === null || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw apiErrors.badRequest(`timeoutSeconds must be a non-negative number, not "${text}"`);
  return n === 0 ? undefined : n;
}

export async function serveWatch(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps): Promise<Reply> {
  const params = ctx.url.searchParams;
  const selectors: Selectors = parseSelectors(params);
  if (route.name !== undefined) selectors.fields.push({ field: 'metadata.name', operator: '=', value: route.name });
  const fromParam = parseRevision(params.get('resourceVersion'));
  const timeoutSeconds = parseTimeout(params.get('timeoutSeconds'));
  const namespace = route.info.namespaced ? route.namespace : undefined;
  const filtered = selectors.labels !== undefined || selectors.fields.length > 0;
  const log = deps.logger.child({ watch: route.info.plural, namespace });

  // Without a starting revision: the current state first, as ADDED events.
  let initial: KubeObject[] = [];
  let fromRevision = fromParam;
  if (fromRevision === undefined) {
    const listed = await deps.store.list(route.info.kind, {
      namespace,
      labelSelector: selectors.labels,
      fieldSelector: equalityFields(selectors.fields),
    });
    initial = listed.items.filter((o) => matchesSelectors(o, selectors));
    fromRevision = listed.revision;
  }
  const knownFromStart = fromParam === undefined;
  const matching = new Set(initial.map(objectKey));

  const { res, req } = ctx;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.flushHeaders();

  let storeWatch: Watch | undefined;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const stream = {
    end(): void {
      if (ended) return;
      ended = true;
      storeWatch?.close();
      if (timer) clearTimeout(timer);
      deps.activeStreams.delete(stream);
      if (!res.writableEnded) res.end();
      log.debug('watch ended');
    },
  };
  deps.activeStreams.add(stream);
  req.on('close', () => stream.end());
  res.on('close', () => stream.end());
  res.on('error', (err) => {
    log.debug({ err }, 'watch stream write failed');
    stream.end();
  });

  const send = (type: string, object: unknown): void => {
    if (ended) return;
    res.write(`${JSON.stringify({ type, object })}\n`);
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      log.warn({ buffered: res.writableLength }, 'watch client too slow: ending its stream');
      stream.end();
    }
  };

  const onEvent = (event: WatchEvent): void => {
    if (ended) return;
    const obj = event.object;
    if (!filtered) {
      send(event.type, obj);
      return;
    }
    const key = objectKey(obj);
    const nowMatches = matchesSelectors(obj, selectors);
    const wasMatching = matching.has(key);
    if (event.type === 'DELETED') {
      matching.delete(key);
      if (wasMatching || nowMatches) send('DELETED', obj);
    } else if (nowMatches) {
      matching.add(key);
      send(event.type === 'ADDED' || (knownFromStart && !wasMatching) ? 'ADDED' : 'MODIFIED', obj);
    } else if (wasMatching) {
      matching.delete(key);
      send('DELETED', obj);
    }
  };

  for (const obj of initial) send('ADDED', obj);
  if (timeoutSeconds !== undefined) timer = setTimeout(() => stream.end(), timeoutSeconds * 1000);

  try {
    storeWatch = deps.store.watch({ kind: route.info.kind, namespace, fromRevision }, onEvent);
    if (ended) storeWatch.close(); // the client left while the watch was being set up
  } catch (err) {
    if (!(err instanceof RevisionCompactedError)) log.error({ err }, 'watch failed to start');
    send('ERROR', toApiError(err).toStatus());
    stream.end();
  }
  return { handled: true };
}
