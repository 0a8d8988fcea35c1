/**
 * The HTTP upgrades the API serves: pods/exec and pods/attach over WebSocket (stream-exec.ts).
 * An upgrade request passes what every request passes (a Bearer token; RBAC: `create` on pods/exec
 * or pods/attach, as Kubernetes asks) and the checks kube-apiserver makes before it upgrades (the
 * pod exists and is bound to a node, the container is one of the pod's, a command for exec, at least
 * one of stdin/stdout/stderr); a refusal is answered as a plain HTTP Status, before any upgrade.
 * pods/portforward over WebSocket with SPDY/3.1 tunnelled in it (stream-port-forward.ts). Plain SPDY
 * upgrades (kubectl before 1.30, or its fallback): `101 Switching Protocols`, `Upgrade: SPDY/3.1` and the
 * `X-Stream-Protocol-Version` chosen (v4.channel.k8s.io, portforward.k8s.io), then the same SPDY session
 * on the socket itself (stream-spdy-exec.ts, stream-port-forward.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Pod } from '../../protocol/objects/pod.js';
import type { NodeStreams } from '../fleet/node-streams.js';
import { authenticate, authorize, bearerToken } from './auth.js';
import type { ApiDeps } from './context.js';
import { parseRoute } from './router.js';
import { ApiError, apiErrors, toApiError } from './status.js';
import { CHANNEL_PROTOCOLS, serveChannelStream } from './stream-exec.js';
import { PORT_FORWARD_PROTOCOL, servePortForward, servePortForwardSession, type SpdyPipe } from './stream-port-forward.js';
import { SPDY_EXEC_PROTOCOL, serveSpdyExec } from './stream-spdy-exec.js';

/** The stream protocol plain-SPDY port-forward speaks. */
export const SPDY_PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';

function offeredStreamProtocols(req: IncomingMessage): string[] {
  const raw = req.headers['x-stream-protocol-version'];
  return (Array.isArray(raw) ? raw.join(',') : (raw ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

/** Answer 101 with the SPDY upgrade and hand the socket on as a byte pipe. */
function switchToSpdy(socket: Duplex, head: Buffer, protocol: string): SpdyPipe {
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Connection: Upgrade', 'Upgrade: SPDY/3.1', `X-Stream-Protocol-Version: ${protocol}`, '', ''].join('\r\n'));
  const early = head.length > 0 ? [head] : [];
  return {
    send: (bytes) => {
      if (!socket.destroyed && socket.writable) socket.write(bytes);
    },
    fail: () => socket.destroy(),
    onBytes: (listener) => {
      for (const b of early.splice(0)) setImmediate(() => listener(b));
      socket.on('data', (b: Buffer) => listener(b));
    },
    onClose: (listener) => socket.on('close', listener),
  };
}

/** The largest message a client may send on an exec WebSocket (stdin arrives in small pieces). */
export const MAX_CLIENT_MESSAGE_BYTES = 1024 * 1024;
const PORT_FORWARD_STAND_IN = 'drover-spdy-portforward';

export interface UpgradeHandlerOptions {
  deps: ApiDeps;
  nodeStreams?: NodeStreams;
}

function truthy(params: URLSearchParams, name: string): boolean {
  const v = params.get(name);
  return v === 'true' || v === '1';
}

function refuse(socket: Duplex, err: ApiError): void {
  const body = JSON.stringify(err.toStatus());
  const head = [
    `HTTP/1.1 ${err.httpCode} ${err.reason}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...(err.reason === 'Unauthorized' ? ['WWW-Authenticate: Bearer realm="drover"'] : []),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

function offeredProtocols(req: IncomingMessage): string[] {
  return (req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

export function createUpgradeHandler(opts: UpgradeHandlerOptions): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const { deps } = opts;
  const logger = deps.logger.child({ component: 'api-streams' });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: (protocols) => CHANNEL_PROTOCOLS.find((p) => protocols.has(p)) ?? false,
  });
  const portForwardWss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    perMessageDeflate: false,
    // the name holds '/', which is no RFC 6455 token: ws would refuse the header, so it is swapped for
    // a stand-in below and answered under its real name here
    handleProtocols: (protocols) => (protocols.has(PORT_FORWARD_STAND_IN) ? PORT_FORWARD_PROTOCOL : false),
  });

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = req.url ?? '/';
    if (!target.startsWith('/')) throw apiErrors.badRequest('invalid request target: must be a path');
    const url = new URL(`http://drover.invalid${target}`);
    const route = parseRoute(url.pathname);
    if (route.type !== 'subresource' || !['exec', 'attach', 'portforward'].includes(route.subresource)) {
      throw apiErrors.badRequest(`${url.pathname} cannot be upgraded: only pods/exec and pods/attach are streams`);
    }
    const principal = await authenticate(deps.auth, bearerToken(req));
    authorize(principal, { verb: 'create', resource: `pods/${route.subresource}`, namespace: route.namespace, namespaced: true, name: route.name });
    const served: readonly string[] = route.subresource === 'portforward' ? [PORT_FORWARD_PROTOCOL] : CHANNEL_PROTOCOLS;
    const upgradeTo = (req.headers.upgrade ?? '').toLowerCase();
    const isWebSocket = upgradeTo === 'websocket';
    const isSpdy = upgradeTo === 'spdy/3.1';
    if (!isWebSocket && !isSpdy) {
      throw apiErrors.badRequest(`Drover serves ${route.subresource} over WebSocket (${served.join(', ')}) or SPDY/3.1, not ${req.headers.upgrade ?? 'plain HTTP'}`);
    }
    const spdyServed = route.subresource === 'portforward' ? SPDY_PORT_FORWARD_PROTOCOL : SPDY_EXEC_PROTOCOL;
    if (isSpdy && !offeredStreamProtocols(req).includes(spdyServed)) {
      throw apiErrors.forbidden(`none of the stream protocols offered (${offeredStreamProtocols(req).join(', ') || 'none'}) is served over SPDY: ${spdyServed}`);
    }
    const offered = offeredProtocols(req);
    if (isWebSocket && !served.some((p) => offered.includes(p))) {
      throw apiErrors.badRequest(`none of the WebSocket subprotocols offered (${offered.join(', ') || 'none'}) is served: ${served.join(', ')}`);
    }
    if (route.subresource === 'portforward') {
      const pod = await deps.store.get<Pod>({ kind: 'Pod', namespace: route.namespace, name: route.name });
      if (!pod) throw apiErrors.notFound('pods', route.name);
      const node = pod.spec.nodeName;
      if (!node) throw apiErrors.badRequest(`pod ${route.name} does not have a host assigned`);
      if (!opts.nodeStreams) throw new ApiError('ServiceUnavailable', 'port-forward is not available: this API server is not connected to the fleet');
      const streams = opts.nodeStreams;
      deps.logger.info({ pod: `${route.namespace}/${route.name}`, node, by: principal.id, subresource: 'portforward', spdy: isSpdy }, 'portforward');
      if (isSpdy) {
        servePortForwardSession(switchToSpdy(socket, head, spdyServed), streams, { node, namespace: route.namespace, pod: route.name }, logger);
        return;
      }
      req.headers['sec-websocket-protocol'] = PORT_FORWARD_STAND_IN;
      portForwardWss.handleUpgrade(req, socket, head, (ws) => servePortForward(ws, streams, { node, namespace: route.namespace, pod: route.name }, logger));
      return;
    }
    const params = url.searchParams;
    const options = { stdin: truthy(params, 'stdin'), stdout: truthy(params, 'stdout'), stderr: truthy(params, 'stderr'), tty: truthy(params, 'tty') };
    if (options.tty) options.stderr = false; // a terminal has one output, as in Kubernetes
    if (!options.stdin && !options.stdout && !options.stderr) throw apiErrors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
    const argv = params.getAll('command');
    if (route.subresource === 'exec' && argv.length === 0) throw apiErrors.badRequest('you must specify at least one command for the container');
    const pod = await deps.store.get<Pod>({ kind: 'Pod', namespace: route.namespace, name: route.name });
    if (!pod) throw apiErrors.notFound('pods', route.name);
    const node = pod.spec.nodeName;
    if (!node) throw apiErrors.badRequest(`pod ${route.name} does not have a host assigned`);
    const names = pod.spec.containers.map((c) => c.name);
    let container = params.get('container') || undefined;
    if (!container) {
      if (names.length !== 1) throw apiErrors.badRequest(`a container name must be specified for pod ${route.name}, choose one of: [${names.join(' ')}]`);
      container = names[0]!;
    } else if (!names.includes(container)) {
      throw apiErrors.badRequest(`container ${container} is not valid for pod ${route.name}`);
    }
    if (!opts.nodeStreams) throw new ApiError('ServiceUnavailable', `${route.subresource} is not available: this API server is not connected to the fleet`);
    const streams = opts.nodeStreams;
    deps.logger.info({ pod: `${route.namespace}/${route.name}`, node, by: principal.id, subresource: route.subresource, argv0: argv[0], tty: options.tty, spdy: isSpdy }, route.subresource);
    const open = {
      node,
      kind: route.subresource === 'exec' ? ('exec' as const) : ('attach' as const),
      namespace: route.namespace,
      pod: route.name,
      container,
      ...(route.subresource === 'exec' ? { argv } : {}),
      stdin: options.stdin,
      tty: options.tty,
    };
    if (isSpdy) {
      serveSpdyExec(switchToSpdy(socket, head, spdyServed), streams, open, options, logger);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveChannelStream(ws, streams, open, options, logger));
  }

  return (req, socket, head) => {
    socket.on('error', (err) => logger.debug({ err }, 'upgrade socket error'));
    upgrade(req, socket, head).catch((err: unknown) => {
      const apiError = toApiError(err);
      if (apiError.httpCode >= 500) logger.error({ err, path: req.url }, 'upgrade failed');
      else logger.debug({ path: req.url, reason: apiError.reason, message: apiError.message }, 'upgrade refused');
      refuse(socket, apiError);
    });
  };
}
