/**
 * GET .../pods/NAME/log with follow, sinceSeconds/sinceTime, timestamps or limitBytes: the pod's log as
 * a chunked text/plain stream relayed from the agent over an MQTT stream (hub/fleet/node-streams.ts),
 * as kube-apiserver relays the kubelet's. The agent's bytes are acknowledged once the response has
 * taken them (written and drained), so a client that reads slowly slows the agent, not the hub's
 * memory. The response ends when the agent ends the stream (the container exited, or without follow
 * the log was read); a client that goes away ends the stream on the agent.
 */
import type { Pod } from '../../protocol/objects/pod.js';
import type { NodeStreams } from '../fleet/node-streams.js';
import { NodeNotConnectedError, NodeCommandsStoppedError, StreamFailedError } from '../fleet/errors.js';
import type { ApiDeps, Reply, RequestContext } from './context.js';
import type { SubresourceRoute } from './router.js';
import { ApiError, apiErrors } from './status.js';

export interface LogStreamParams {
  follow: boolean;
  tailLines?: number;
  sinceTime?: string;
  timestamps: boolean;
  previous: boolean;
  limitBytes?: number;
  container?: string;
}

function intParam(params: URLSearchParams, name: string, min: number): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw apiErrors.badRequest(`${name} must be an integer of at least ${min}, not "${raw}"`);
  return n;
}

const truthy = (params: URLSearchParams, name: string): boolean => ['true', '1'].includes(params.get(name) ?? '');

/** The log options of a request, as PodLogOptions reads them; sinceSeconds becomes a time, now. */
export function logStreamParams(params: URLSearchParams, now: number): LogStreamParams {
  const sinceSeconds = intParam(params, 'sinceSeconds', 1);
  const sinceTimeRaw = params.get('sinceTime') || undefined;
  if (sinceSeconds !== undefined && sinceTimeRaw) throw apiErrors.badRequest('at most one of sinceTime or sinceSeconds may be specified');
  let sinceTime: string | undefined;
  if (sinceTimeRaw) {
    const t = Date.parse(sinceTimeRaw);
    if (Number.isNaN(t)) throw apiErrors.badRequest(`sinceTime must be an RFC 3339 time, not "${sinceTimeRaw}"`);
    sinceTime = new Date(t).toISOString();
  } else if (sinceSeconds !== undefined) {
    sinceTime = new Date(now - sinceSeconds * 1000).toISOString();
  }
  const tailLines = intParam(params, 'tailLines', 0);
  const limitBytes = intParam(params, 'limitBytes', 1);
  const container = params.get('container') || undefined;
  return {
    follow: truthy(params, 'follow'),
    timestamps: truthy(params, 'timestamps'),
    previous: truthy(params, 'previous'),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(sinceTime ? { sinceTime } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
    ...(container ? { container } : {}),
  };
}

/** Whether a log request needs the stream (the request/response command serves the rest). */
export function needsLogStream(params: URLSearchParams): boolean {
  return ['follow', 'timestamps'].some((n) => truthy(params, n)) || ['sinceSeconds', 'sinceTime', 'limitBytes'].some((n) => params.has(n));
}

export async function streamPodLog(ctx: RequestContext, route: SubresourceRoute, deps: ApiDeps, streams: NodeStreams | undefined): Promise<Reply> {
  const p = logStreamParams(ctx.url.searchParams, deps.clock());
  const pod = await deps.store.get<Pod>({ kind: 'Pod', namespace: route.namespace, name: route.name });
  if (!pod) throw apiErrors.notFound('pods', route.name);
  const node = pod.spec.nodeName;
  if (!node) throw apiErrors.badRequest(`pod ${route.name} does not have a host assigned`);
  if (!streams) throw new ApiError('ServiceUnavailable', 'streaming pod logs is not available: this API server is not connected to the fleet');
  const { res } = ctx;
  let begun = false;
  const begin = (): void => {
    if (begun) return;
    begun = true;
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
  };
  let stream;
  try {
    stream = streams.open(
      { node, kind: 'logs', namespace: route.namespace, pod: route.name, ...p, ...(p.previous ? {} : { previous: undefined }) },
      {
        onData(_channel, data, done) {
          begin();
          if (res.destroyed) return done();
          if (res.write(data)) done();
          else res.once('drain', done);
        },
      },
    );
    await stream.ready;
  } catch (err) {
    stream?.close();
    if (err instanceof NodeNotConnectedError || err instanceof NodeCommandsStoppedError) throw new ApiError('ServiceUnavailable', `cannot get the logs of pod ${route.name}: ${err.message}`, undefined, { cause: err });
    if (err instanceof StreamFailedError) throw new ApiError('BadRequest', err.message, undefined, { cause: err });
    throw err;
  }
  const s = stream;
  begin();
  res.once('close', () => s.close());
  const closer = { end: () => s.close() };
  deps.activeStreams.add(closer);
  const end = await s.ended;
  deps.activeStreams.delete(closer);
  if (end.error && end.byPeer) deps.logger.info({ pod: `${route.namespace}/${route.name}`, error: end.error }, 'log stream ended with an error');
  if (!res.writableEnded) res.end();
  return { handled: true };
}
