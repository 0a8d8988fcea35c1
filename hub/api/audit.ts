/**
 * The audit event of one API request (hub/audit writes it): the verb and object a route names, the
 * token (its id and role, never its secret), the answer's code and, for a refusal, its reason. Every
 * request is audited but the health checks, at the Metadata level (no bodies), as Kubernetes' default
 * audit policy; a watch gets a ResponseStarted event when its stream begins and a ResponseComplete one
 * when it ends.
 */
import type { IncomingMessage } from 'node:http';
import type { AuditEvent, AuditObjectRef } from '../audit/audit-event.js';
import type { ApiPrincipal } from './auth.js';
import type { RequestAudit } from './context.js';
import { resourceVerb } from './resources.js';
import { DROVER_GROUP, DROVER_VERSION, type Route } from './router.js';
import type { ApiError } from './status.js';

/** Routes not audited: the health checks, polled by supervisors every few seconds. */
export function isAudited(route: Route): boolean {
  return route.type !== 'health';
}

function objectRefOf(route: Route): AuditObjectRef | undefined {
  switch (route.type) {
    case 'resource':
    case 'subresource':
      return {
        resource: route.info.plural,
        ...(route.namespace !== undefined ? { namespace: route.namespace } : {}),
        ...(route.name !== undefined ? { name: route.name } : {}),
        apiGroup: route.info.group,
        apiVersion: route.info.version,
        ...(route.subresource !== undefined ? { subresource: route.subresource } : {}),
      };
    case 'tokens':
      return { resource: route.resource, ...(route.id !== undefined ? { name: route.id } : {}), apiGroup: DROVER_GROUP, apiVersion: DROVER_VERSION };
    default:
      return undefined;
  }
}

const WRITE_VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** Kubernetes' verb for the request: resourceVerb on resources, get/list on reads of named/unnamed objects. */
function verbOf(route: Route, method: string, url: URL): string {
  if (route.type === 'resource') return resourceVerb(method, route, url.searchParams) ?? method.toLowerCase();
  if (route.type === 'subresource') return route.subresource === 'exec' ? 'create' : (WRITE_VERBS[method] ?? 'get');
  if (route.type === 'tokens') return WRITE_VERBS[method] ?? (route.id === undefined ? 'list' : 'get');
  return method.toLowerCase();
}

/** The path and query without the value of a `token` parameter (the status page accepts one). */
function requestUri(url: URL): string {
  const params = new URLSearchParams(url.search);
  if (params.has('token')) params.set('token', 'REDACTED');
  const query = params.toString();
  return `${url.pathname}${query ? `?${query}` : ''}`;
}

export interface AuditInput {
  auditID: string;
  stage: AuditEvent['stage'];
  route: Route;
  method: string;
  url: URL;
  req: IncomingMessage;
  principal: ApiPrincipal | undefined;
  code: number;
  failure: ApiError | undefined;
  receivedAt: number;
  now: number;
  audit: RequestAudit;
}

export function auditEventOf(input: AuditInput): AuditEvent {
  const { principal, failure } = input;
  const objectRef = objectRefOf(input.route);
  if (objectRef && objectRef.name === undefined && input.audit.objectName) objectRef.name = input.audit.objectName;
  const { annotations } = input.audit;
  const userAgent = input.req.headers['user-agent'];
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: input.auditID,
    stage: input.stage,
    requestURI: requestUri(input.url),
    verb: verbOf(input.route, input.method, input.url),
    user: principal
      ? {
          username: principal.id,
          groups: [`drover:${principal.role}`],
          ...(principal.namespace !== undefined ? { extra: { 'drover.io/namespace': [principal.namespace] } } : {}),
        }
      : { username: 'system:anonymous', groups: ['system:unauthenticated'] },
    sourceIPs: input.req.socket.remoteAddress ? [input.req.socket.remoteAddress] : [],
    ...(userAgent ? { userAgent } : {}),
    ...(objectRef ? { objectRef } : {}),
    responseStatus: {
      metadata: {},
      code: input.code,
      ...(failure ? { status: 'Failure' as const, reason: failure.reason, message: failure.message } : {}),
    },
    requestReceivedTimestamp: new Date(input.receivedAt).toISOString(),
    stageTimestamp: new Date(input.now).toISOString(),
    ...(Object.keys(annotations).length > 0 ? { annotations: { ...annotations } } : {}),
  };
}
