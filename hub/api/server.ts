/**
 * The hub's HTTP API on node:http: Kubernetes-shaped resources, Drover's token endpoints, discovery,
 * health, metrics and the status page. This file only routes, authenticates, times and answers;
 * each concern lives in its own module.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../../protocol/logger.js';
import type { NodeCommands } from '../fleet/node-commands.js';
import type { NodeLeases } from '../leases/node-leases.js';
import type { NodeStreams } from '../fleet/node-streams.js';
import type { Store } from '../store/store.js';
import { createObjectCache, type ObjectCache } from '../cache/object-cache.js';
import { createServiceRegistry } from '../registry/services.js';
import { createPodSecurityAdmission, type PodSecurityAdmission } from '../admission/pod-security/admission.js';
import type { AuditLog } from '../audit/audit-log.js';
import { DEFAULT_CLUSTER_NETWORK, type ClusterNetwork } from '../../protocol/cluster-network.js';
import { auditEventOf, isAudited } from './audit.js';
import { authenticate, bearerToken, type ApiAuth, type ApiPrincipal } from './auth.js';
import { DEFAULT_WATCH_BUFFER_BYTES, type ApiDeps, type Reply, type RequestAudit, type RequestContext } from './context.js';
import { coreVersions, groupList, resourceList, versionInfo } from './discovery.js';
import { openApiDocument, openApiIndex } from './openapi.js';
import { openApiV2Document } from './openapi-v2.js';
import { review } from './access-review.js';
import { DEFAULT_BODY_LIMIT, isLoopback, readBodyBytes, readJsonBody, sendJson, sendText } from './http-io.js';
import { checkStreamAcceptable, sendReply } from './response-body.js';
import { createFlowControl, type FlowControl, type FlowControlOptions } from './flow-control.js';
import { createApiMetrics } from './metrics.js';
import { handlePodCommand } from './pod-commands.js';
import { createUpgradeHandler } from './stream-upgrade.js';
import { handleResource, resourceVerb } from './resources.js';
import { handleHpaV1 } from './hpa-v1.js';
import { handleScale } from './scale.js';
import { handleResourceMetrics } from './resource-metrics.js';
import { handleEviction } from './eviction.js';
import { HPA_V1, parseRoute, type Route } from './router.js';
import { renderStatusPage } from './status-page.js';
import { buildFleetSummary } from './status-summary.js';
import { ApiError, apiErrors, failureStatus, toApiError } from './status.js';
import { handleTokens } from './tokens.js';
import { createImageEndpoints, type ImageEndpointsOptions } from './registry-images.js';
import { createDeviceEndpoints, type DeviceEndpointsOptions } from './device-endpoints.js';

export interface ApiServerOptions {
  store: Store;
  /** The hub's informer cache (started); without it the server keeps its own over `store`, started on listen. */
  cache?: ObjectCache;
  /** The cluster's address plan, for Service IPs and nodePorts (default K3s': 10.43.0.0/16, 30000-32767). */
  network?: ClusterNetwork;
  auth: ApiAuth;
  logger: Logger;
  /** Where /metrics comes from; a new one (with default process metrics) if absent. */
  registry?: Registry;
  /** For /readyz; always ready if absent. */
  isReady?: () => { ready: boolean; reasons: string[] };
  clock?: () => number;
  /** Request body limit in bytes (default 3 MiB). */
  maxBodyBytes?: number;
  /** Create the "default" namespace on listen if it is missing, as kube-apiserver does (default true). */
  ensureDefaultNamespace?: boolean;
  /**
   * Serve HTTPS with this PEM key and certificate. kubectl (client-go) sends bearer tokens only over
   * TLS, so pointing kubectl at the hub with a token needs this.
   */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /**
   * How pod logs and exec reach agents (the fleet's createNodeCommands). Without it those endpoints
   * answer 503.
   */
  nodeCommands?: NodeCommands;
  /** How exec/attach (WebSocket) and logs -f reach agents (the fleet's createNodeStreams); without it they answer 503. */
  nodeStreams?: NodeStreams;
  /** Pod Security admission (hub/admission); without it, one with the default policy over the cache. */
  podSecurity?: PodSecurityAdmission;
  /** Where every request's audit event goes (hub/audit); nothing is audited without it. */
  auditLog?: Pick<AuditLog, 'record'>;
  /** Per-token request rate, requests in flight and open watches (flow-control.ts; its defaults if absent). */
  flowControl?: FlowControlOptions | FlowControl;
  /** How long a request (watches, logs and exec aside) may take, its response included (default 60 s). */
  requestTimeoutMs?: number;
  /** A watch client this many bytes behind (buffered in the hub) is cut off (default 1 MiB). */
  maxWatchBufferBytes?: number;
  /** The hub's node leases: kube-node-lease Leases and metrics.k8s.io come from them (none without). */
  leases?: Pick<NodeLeases, 'get'>;
  /** BOOKMARK period of watches that allow them (default 60 s). */
  bookmarkIntervalMs?: number;
  /** How often a kube-node-lease watch looks for renewals (default 10 s). */
  nodeLeasePollMs?: number;
  /** The hub's image store, served at /v2/ (registry, read-only) and /apis/drover.io/v1/images (push, list, rm); 404 without. */
  images?: Omit<ImageEndpointsOptions, 'logger'>;
  /** What devices fetch before they have credentials: /install.sh, /ca.crt, /bundles/ (device-endpoints.ts); 404 without. */
  deviceFiles?: Omit<DeviceEndpointsOptions, 'logger' | 'https'>;
}

export interface ApiServer {
  listen(host: string, port: number): Promise<{ port: number }>;
  /** Present this key and certificate from the next TLS handshake on (certificate renewal); no-op on plain HTTP. */
  setTls(tls: { key: string | Buffer; cert: string | Buffer }): void;
  close(): Promise<void>;
}

const PUBLIC_ROUTES = new Set<Route['type']>(['health']);
const LOOPBACK_OPEN_ROUTES = new Set<Route['type']>(['statusPage', 'statusJson']);

function metricLabels(route: Route, method: string, url: URL): { verb: string; resource: string } {
  if (route.type === 'resource') {
    const verb = resourceVerb(method, route, url.searchParams) ?? method.toLowerCase();
    return { verb, resource: route.subresource ? `${route.info.plural}/status` : route.info.plural };
  }
  if (route.type === 'tokens') return { verb: method.toLowerCase(), resource: route.resource };
  if (route.type === 'subresource') return { verb: method.toLowerCase(), resource: `${route.info.plural}/${route.subresource}` };
  return { verb: method.toLowerCase(), resource: route.type === 'notFound' ? 'unknown' : route.type };
}

/** Streams that stay open by design: watches, pod logs (follow) and exec. */
function isLongRunning(route: Route, verb: string): boolean {
  return verb === 'watch' || (route.type === 'subresource' && (route.subresource === 'log' || route.subresource === 'exec'));
}

/** kube-apiserver's default --request-timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const logger = opts.logger.child({ component: 'api' });
  const clock = opts.clock ?? Date.now;
  const maxBody = opts.maxBodyBytes ?? DEFAULT_BODY_LIMIT;
  const requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const metrics = createApiMetrics(opts.registry);
  const ownCache = opts.cache ? undefined : createObjectCache({ store: opts.store, logger });
  const cache = opts.cache ?? ownCache!;
  const services = createServiceRegistry({ cache, network: opts.network ?? DEFAULT_CLUSTER_NETWORK });
  const podSecurity = opts.podSecurity ?? createPodSecurityAdmission({ cache });
  const flow = opts.flowControl && 'admit' in opts.flowControl ? opts.flowControl : createFlowControl({ clock, ...opts.flowControl });
  metrics.readInflightFrom(() => flow.usage().inflight);
  const deps: ApiDeps = {
    store: opts.store,
    cache,
    services,
    podSecurity,
    auth: opts.auth,
    logger,
    clock,
    activeStreams: new Set(),
    maxWatchBufferBytes: opts.maxWatchBufferBytes ?? DEFAULT_WATCH_BUFFER_BYTES,
    metrics,
    ...(opts.leases ? { leases: opts.leases } : {}),
    ...(opts.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: opts.bookmarkIntervalMs } : {}),
    ...(opts.nodeLeasePollMs !== undefined ? { nodeLeasePollMs: opts.nodeLeasePollMs } : {}),
  };
  const imageEndpoints = opts.images ? createImageEndpoints({ ...opts.images, logger: logger.child({ component: 'images' }) }) : undefined;
  const deviceEndpoints = opts.deviceFiles ? createDeviceEndpoints({ ...opts.deviceFiles, https: opts.tls !== undefined, logger }) : undefined;
  const sockets = new Set<Socket>();
  let serverAddress = '';

  async function dispatch(ctx: RequestContext, route: Route): Promise<Reply> {
    const { res } = ctx;
    switch (route.type) {
      case 'health': {
        if (route.check !== 'readyz') {
          sendText(res, 200, 'ok');
          return { handled: true };
        }
        const state = opts.isReady?.() ?? { ready: true, reasons: [] };
        if (state.ready) sendText(res, 200, 'ok');
        else sendText(res, 503, `${state.reasons.map((r) => `[-] ${r}`).join('\n')}\nreadyz check failed\n`);
        return { handled: true };
      }
      case 'metrics':
        sendText(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
        return { handled: true };
      case 'statusJson':
        return { code: 200, body: await buildFleetSummary(deps.cache, clock, ctx.principal) };
      case 'statusPage': {
        const nonce = randomBytes(16).toString('base64');
        const html = renderStatusPage(await buildFleetSummary(deps.cache, clock, ctx.principal), clock(), nonce);
        res.setHeader(
          'Content-Security-Policy',
          `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:`,
        );
        res.setHeader('X-Content-Type-Options', 'nosniff');
        sendText(res, 200, html, 'text/html; charset=utf-8');
        return { handled: true };
      }
      case 'version':
        return { code: 200, body: versionInfo() };
      case 'accessReview':
        if (ctx.method !== 'POST') throw apiErrors.methodNotAllowed(`${route.resource} are created (POST), not read`);
        if (!ctx.principal) throw apiErrors.unauthorized();
        return { code: 201, body: review(ctx.principal, route.resource, await ctx.readJson()) };
      case 'openApiIndex':
        return { code: 200, body: openApiIndex() };
      case 'openApiV2': {
        const doc = openApiV2Document(ctx.req.headers.accept);
        res.writeHead(200, { ETag: doc.etag, 'Content-Type': doc.contentType, 'Content-Length': Buffer.byteLength(doc.body), 'Cache-Control': 'no-store' });
        res.end(doc.body);
        return { handled: true };
      }
      case 'openApiDocument':
        sendText(res, 200, openApiDocument(route.path), 'application/json');
        return { handled: true };
      case 'coreVersions':
        return { code: 200, body: coreVersions(serverAddress) };
      case 'groupList':
        return { code: 200, body: groupList() };
      case 'resourceList':
        return { code: 200, body: resourceList(route.group, route.version) };
      case 'tokens':
        return handleTokens(ctx, route.resource, route.id, deps);
      case 'resource':
        return route.servedAs === HPA_V1 ? handleHpaV1(ctx, route, deps) : handleResource(ctx, route, deps);
      case 'subresource':
        if (route.subresource === 'scale') return handleScale(ctx, route, deps);
        if (route.subresource === 'eviction') return handleEviction(ctx, route, deps);
        return handlePodCommand(ctx, route, deps, opts.nodeCommands, opts.nodeStreams);
      case 'resourceMetrics':
        return handleResourceMetrics(ctx, route, deps);
      case 'notFound':
        throw apiErrors.resourceNotFound(ctx.url.pathname);
    }
  }

  async function principalFor(req: IncomingMessage, route: Route, url: URL): Promise<ApiPrincipal | undefined> {
    if (PUBLIC_ROUTES.has(route.type)) return undefined;
    const token = bearerToken(req) ?? (LOOPBACK_OPEN_ROUTES.has(route.type) ? url.searchParams.get('token') ?? undefined : undefined);
    if (LOOPBACK_OPEN_ROUTES.has(route.type) && !token && isLoopback(req.socket.remoteAddress)) return undefined;
    return authenticate(deps.auth, token);
  }

  /**
   * kube-apiserver's --request-timeout for everything but watches, logs and exec: a request not
   * answered in time gets 504; one answered but not taken by a client that stopped reading loses its
   * connection, so no response can be held for a client that never reads.
   */
  function limitDuration(res: ServerResponse, ms: number, what: { method: string; path: string }): void {
    const timer = setTimeout(() => {
      if (res.writableFinished) return;
      logger.warn({ ...what, timeoutMs: ms, answered: res.headersSent }, 'request not completed in time: ending it');
      if (!res.headersSent) {
        sendJson(res, 504, new ApiError('Timeout', `request did not complete within the allowed duration of ${ms / 1000}s`).toStatus());
        setTimeout(() => res.destroy(), ms).unref();
      } else {
        res.destroy();
      }
    }, ms);
    timer.unref();
    res.once('close', () => clearTimeout(timer));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    // Only origin-form request targets ("/path?query"); parse against a fixed origin so that a target
    // like "//host/x" can never be read as an authority.
    const target = req.url ?? '/';
    if (!target.startsWith('/')) {
      sendJson(res, 400, failureStatus('BadRequest', `invalid request target ${JSON.stringify(target.slice(0, 100))}: must be a path`));
      return;
    }
    let url: URL;
    try {
      url = new URL(`http://drover.invalid${target}`);
    } catch (err) {
      logger.debug({ err, target: target.slice(0, 100) }, 'unparseable request target');
      sendJson(res, 400, failureStatus('BadRequest', 'invalid request target'));
      return;
    }
    if (deviceEndpoints?.matches(url.pathname)) {
      // signed content for devices that have no credential yet: no auth, no audit
      await deviceEndpoints.handle(req, res, url);
      return;
    }
    if (imageEndpoints?.matches(url.pathname)) {
      // registry clients (containerd, docker) and pushes: their own auth, error format and no request timeout
      await imageEndpoints.handle(req, res, url);
      return;
    }
    const route = parseRoute(url.pathname);
    const labels = metricLabels(route, method, url);
    res.on('close', () => metrics.observe({ ...labels, code: res.statusCode }, (performance.now() - started) / 1000));
    // the audit event: who (set once authenticated), what (the route), the answer (code, refusal), admission's annotations
    const receivedAt = clock();
    const auditID = randomUUID();
    const requestAudit: RequestAudit = { annotations: {} };
    let principal: ApiPrincipal | undefined;
    let failure: ApiError | undefined;
    const audit = opts.auditLog && isAudited(route) ? opts.auditLog : undefined;
    const auditStage = (stage: 'ResponseStarted' | 'ResponseComplete') =>
      audit?.record(auditEventOf({ auditID, stage, route, method, url, req, principal, code: res.statusCode, failure, receivedAt, now: clock(), audit: requestAudit }));
    if (audit) {
      res.setHeader('Audit-Id', auditID);
      res.on('close', () => auditStage('ResponseComplete'));
    }
    try {
      principal = await principalFor(req, route, url);
      if (!PUBLIC_ROUTES.has(route.type)) res.once('close', flow.admit(principal, labels.verb === 'watch' ? 'watch' : 'request'));
      if (!isLongRunning(route, labels.verb)) limitDuration(res, requestTimeoutMs, { method, path: url.pathname });
      if (labels.verb === 'watch' || isLongRunning(route, labels.verb)) checkStreamAcceptable(req.headers.accept);
      const ctx: RequestContext = {
        req,
        res,
        method,
        url,
        principal,
        audit: requestAudit,
        readJson: (optional = false) => readJsonBody(req, maxBody, optional),
        readText: async () => (await readBodyBytes(req, maxBody)).toString('utf8'),
      };
      const reply = await dispatch(ctx, route);
      if ('code' in reply) sendReply(req, res, reply.code, reply.body);
      else if (labels.verb === 'watch' && !res.writableEnded) auditStage('ResponseStarted');
    } catch (err) {
      const apiError = toApiError(err);
      failure = apiError;
      if (apiError.httpCode >= 500) logger.error({ err, method, path: url.pathname }, 'request failed');
      else logger.debug({ method, path: url.pathname, reason: apiError.reason, message: apiError.message }, 'request refused');
      if (res.headersSent) {
        res.destroy(apiError);
        return;
      }
      if (apiError.reason === 'RequestEntityTooLarge') res.setHeader('Connection', 'close');
      if (apiError.reason === 'Unauthorized') res.setHeader('WWW-Authenticate', 'Bearer realm="drover"');
      if (apiError.details?.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(apiError.details.retryAfterSeconds));
      sendReply(req, res, apiError.httpCode, apiError.toStatus());
    }
    logger.trace({ method, path: url.pathname, code: res.statusCode }, 'request');
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'request handler crashed');
      if (!res.headersSent) sendJson(res, 500, new ApiError('InternalError', 'internal error').toStatus());
      else res.destroy();
    });
  };
  const tlsServer = opts.tls ? createTlsServer({ key: opts.tls.key, cert: opts.tls.cert }, onRequest) : undefined;
  const server = tlsServer ?? createServer(onRequest);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', createUpgradeHandler({ deps, ...(opts.nodeStreams ? { nodeStreams: opts.nodeStreams } : {}) }));
  server.on('clientError', (err, socket) => {
    logger.debug({ err }, 'bad HTTP request from client');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function ensureDefault(): Promise<void> {
    if (opts.ensureDefaultNamespace === false) return;
    if (await opts.store.get({ kind: 'Namespace', namespace: '', name: 'default' })) return;
    try {
      await opts.store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' }, status: { phase: 'Active' } });
      logger.info('created the "default" namespace');
    } catch (err) {
      if (toApiError(err).reason !== 'AlreadyExists') throw err;
      logger.debug('"default" namespace created concurrently');
    }
  }

  return {
    setTls(tls) {
      tlsServer?.setSecureContext({ key: tls.key, cert: tls.cert });
    },
    async listen(host, port) {
      await ensureDefault();
      await ownCache?.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      serverAddress = `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
      logger.info({ host, port: address.port }, 'API listening');
      return { port: address.port };
    },
    async close() {
      for (const stream of [...deps.activeStreams]) stream.end();
      ownCache?.stop();
      if (!server.listening) return;
      const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      server.closeIdleConnections();
      // Give in-flight requests a moment, then cut whatever is left.
      const timer = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, 2000);
      try {
        await closed;
      } finally {
        clearTimeout(timer);
      }
      logger.info('API closed');
    },
  };
}
