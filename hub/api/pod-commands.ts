/**
 * GET  /api/v1/namespaces/NS/pods/NAME/log?container=&tailLines=&previous=   -> text/plain
 * POST /api/v1/namespaces/NS/pods/NAME/exec  {command: [...], container?, timeoutSeconds?}
 *                                            -> {kind: "ExecResult", output, exitCode}
 *
 * Both ask the agent of the pod's node through the fleet's node commands (MQTT cmd/reply). Plain
 * request/response, not streaming: logs come back whole (the agent keeps the last 1 MiB), exec runs
 * the command to completion without stdin or a TTY and returns stdout and stderr as one `output`
 * (`drover exec`). kubectl's streams go elsewhere: `logs -f` (and --timestamps, --since, --limit-bytes)
 * to pod-log-stream.ts, exec and attach over WebSocket to stream-upgrade.ts.
 *
 * RBAC as Kubernetes: logs is `get` on pods/log (view may read), exec is `create` on pods/exec
 * (edit and admin only).
 */
import type { Pod } from '../../protocol/objects/pod.js';
import { CommandFailedError, CommandTimeoutError, NodeCommandsStoppedError, NodeNotConnectedError } from '../fleet/errors.js';
import type { NodeCommands } from '../fleet/node-commands.js';
import type { NodeStreams } from '../fleet/node-streams.js';
import { needsLogStream, streamPodLog } from './pod-log-stream.js';
import { authorize, type Verb } from './auth.js';
import type { ApiDeps, Reply, RequestContext } from './context.js';
import { sendText } from './http-io.js';
import type { SubresourceRoute } from './router.js';
import { ApiError, apiErrors } from './status.js';

/** The longest exec the API lets an agent run. */
export const MAX_EXEC_TIMEOUT_SECONDS = 3600;

function authorizeAction(ctx: RequestContext, route: SubresourceRoute, verb: Verb): void {
  if (!ctx.principal) return;
  authorize(ctx.principal, { verb, resource: `pods/${route.subresource}`, namespace: route.namespace, namespaced: true, name: route.name });
}

/** The pod's node, or a 404/400 as Kubernetes answers for a missing or unscheduled pod. */
async function boundNode(deps: ApiDeps, route: SubresourceRoute): Promise<{ pod: Pod; node: string }> {
  const pod = await deps.store.get<Pod>({ kind: 'Pod', namespace: route.namespace, name: route.name });
  if (!pod) throw apiErrors.notFound('pods', route.name);
  const node = pod.spec.nodeName;
  if (!node) throw apiErrors.badRequest(`pod ${route.name} does not have a host assigned: it is not scheduled to a node yet`);
  return { pod, node };
}

function requireCommands(commands: NodeCommands | undefined): NodeCommands {
  if (!commands) throw new ApiError('ServiceUnavailable', 'pod logs and exec are not available: this API server is not connected to the fleet');
  return commands;
}

/** The fleet's typed failures as Status answers: 503 node offline, 504 no answer, 400 the agent's refusal. */
function commandError(err: unknown, what: string): unknown {
  if (err instanceof NodeNotConnectedError) return new ApiError('ServiceUnavailable', `cannot ${what}: ${err.message}`, undefined, { cause: err });
  if (err instanceof CommandTimeoutError) return new ApiError('Timeout', `cannot ${what}: ${err.message}`, undefined, { cause: err });
  if (err instanceof NodeCommandsStoppedError) return new ApiError('ServiceUnavailable', err.message, undefined, { cause: err });
  if (err instanceof CommandFailedError) return new ApiError('BadRequest', err.message, undefined, { cause: err });
  return err;
}

function intParam(params: URLSearchParams, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw apiErrors.badRequest(`${name} must be an integer from ${min} to ${max}, not "${raw}"`);
  return n;
}

function boolParam(params: URLSearchParams, name: string): boolean {
  const raw = params.get(name);
  return raw === 'true' || raw === '1';
}

async function podLog(ctx: RequestContext, route: SubresourceRoute, deps: ApiDeps, commands: NodeCommands | undefined): Promise<Reply> {
  if (ctx.method !== 'GET') throw apiErrors.methodNotAllowed(`pod logs are read with GET, not ${ctx.method}`);
  authorizeAction(ctx, route, 'get');
  const params = ctx.url.searchParams;
  const tailLines = intParam(params, 'tailLines', 0);
  const container = params.get('container') || undefined;
  const previous = boolParam(params, 'previous');
  const { node } = await boundNode(deps, route);
  let text: string;
  try {
    text = await requireCommands(commands).logs({ node, namespace: route.namespace, pod: route.name, container, tailLines, previous });
  } catch (err) {
    throw commandError(err, `get the logs of pod ${route.name}`);
  }
  sendText(ctx.res, 200, text);
  return { handled: true };
}

interface ExecBody {
  command: string[];
  container?: string;
  timeoutSeconds?: number;
}

/** The exec request from the JSON body, or from kubectl-style `?command=a&command=b&container=c`. */
async function execBody(ctx: RequestContext): Promise<ExecBody> {
  const params = ctx.url.searchParams;
  const raw = (await ctx.readJson(true)) as Partial<Record<keyof ExecBody, unknown>> | undefined;
  if (raw !== undefined && (typeof raw !== 'object' || raw === null || Array.isArray(raw))) throw apiErrors.badRequest('the exec request must be a JSON object');
  const command = raw?.command ?? (params.getAll('command').length ? params.getAll('command') : undefined);
  if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === 'string')) {
    throw apiErrors.badRequest('the exec request needs "command": a non-empty array of strings, e.g. ["cat", "/etc/hostname"]');
  }
  const container = raw?.container ?? (params.get('container') || undefined);
  if (container !== undefined && typeof container !== 'string') throw apiErrors.badRequest('"container" must be a string');
  const timeoutSeconds = raw?.timeoutSeconds ?? intParam(params, 'timeoutSeconds', 1, MAX_EXEC_TIMEOUT_SECONDS);
  if (timeoutSeconds !== undefined && (!Number.isInteger(timeoutSeconds) || (timeoutSeconds as number) < 1 || (timeoutSeconds as number) > MAX_EXEC_TIMEOUT_SECONDS)) {
    throw apiErrors.badRequest(`"timeoutSeconds" must be an integer from 1 to ${MAX_EXEC_TIMEOUT_SECONDS}`);
  }
  return { command: command as string[], ...(container ? { container } : {}), ...(timeoutSeconds !== undefined ? { timeoutSeconds: timeoutSeconds as number } : {}) };
}

async function podExec(ctx: RequestContext, route: SubresourceRoute, deps: ApiDeps, commands: NodeCommands | undefined): Promise<Reply> {
  if (ctx.method !== 'POST') {
    throw apiErrors.methodNotAllowed(`exec is a POST with a JSON body {"command": [...]}; streaming exec (${ctx.method}, SPDY/WebSocket) is not supported`);
  }
  authorizeAction(ctx, route, 'create');
  const body = await execBody(ctx);
  const { node } = await boundNode(deps, route);
  try {
    const result = await requireCommands(commands).exec({
      node,
      namespace: route.namespace,
      pod: route.name,
      argv: body.command,
      container: body.container,
      timeoutSeconds: body.timeoutSeconds,
    });
    deps.logger.info({ pod: `${route.namespace}/${route.name}`, node, by: ctx.principal?.id, argv0: body.command[0], exitCode: result.exitCode }, 'exec');
    return { code: 200, body: { kind: 'ExecResult', apiVersion: 'v1', output: result.output, exitCode: result.exitCode } };
  } catch (err) {
    throw commandError(err, `exec in pod ${route.name}`);
  }
}

/** Handle .../pods/NAME/{log,exec,attach,portforward} requests that are not upgrades (stream-upgrade.ts has those). */
export async function handlePodCommand(ctx: RequestContext, route: SubresourceRoute, deps: ApiDeps, commands: NodeCommands | undefined, streams?: NodeStreams): Promise<Reply> {
  if (route.subresource === 'log') {
    if (needsLogStream(ctx.url.searchParams)) {
      if (ctx.method !== 'GET') throw apiErrors.methodNotAllowed(`pod logs are read with GET, not ${ctx.method}`);
      authorizeAction(ctx, route, 'get');
      return streamPodLog(ctx, route, deps, streams);
    }
    return podLog(ctx, route, deps, commands);
  }
  if (route.subresource === 'exec' && ctx.method === 'POST' && !ctx.req.headers.upgrade) return podExec(ctx, route, deps, commands);
  authorizeAction(ctx, route, 'create');
  throw apiErrors.badRequest(`Upgrade request required: pods/${route.subresource} is a WebSocket stream (v5.channel.k8s.io)`);
}
