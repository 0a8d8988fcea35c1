/**
 * Turns a request path into a Route: which handler, and for resources which kind, namespace, name and
 * subresource (status; and log, exec, scale as their own route type). Paths follow Kubernetes: core kinds under /api/v1, others under /apis/GROUP/VERSION,
 * namespaced objects under .../namespaces/NS/PLURAL[/NAME[/status]], and the legacy /watch/ prefix.
 */
import { allKinds, type KindInfo } from '../../protocol/kinds.js';
import { METRICS_GROUP, METRICS_VERSION, parseMetricsRoute, type MetricsRoute } from './resource-metrics.js';

export const DROVER_GROUP = 'drover.io';
/** authorization.k8s.io/v1: the self reviews `kubectl auth can-i` posts (access-review.ts answers them). */
export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
export const AUTHORIZATION_VERSION = 'v1';
export const REVIEW_RESOURCES = { selfsubjectaccessreviews: 'SelfSubjectAccessReview', selfsubjectrulesreviews: 'SelfSubjectRulesReview' } as const;
export type ReviewResource = keyof typeof REVIEW_RESOURCES;
export const DROVER_VERSION = 'v1';
export const TOKEN_RESOURCES = ['jointokens', 'apitokens'] as const;
export type TokenResource = (typeof TOKEN_RESOURCES)[number];

export interface ResourceRoute {
  type: 'resource';
  info: KindInfo;
  /** Set for namespaced paths; undefined for cluster-scoped kinds and all-namespaces lists. */
  namespace: string | undefined;
  name: string | undefined;
  subresource: 'status' | undefined;
  /** The path carried the legacy /watch/ segment. */
  watchPath: boolean;
}

/** Kinds and the action subresources they have (besides status): pod logs, exec, attach, port-forward and eviction, scale. */
export const ACTION_SUBRESOURCES = { log: ['Pod'], exec: ['Pod'], attach: ['Pod'], portforward: ['Pod'], eviction: ['Pod'], scale: ['Deployment', 'ReplicaSet', 'StatefulSet'] } as const;
export type ActionSubresource = keyof typeof ACTION_SUBRESOURCES;

/** .../namespaces/NS/pods/NAME/{log,exec,eviction}, .../deployments/NAME/scale: handled outside generic CRUD. */
export interface SubresourceRoute {
  type: 'subresource';
  info: KindInfo;
  namespace: string;
  name: string;
  subresource: ActionSubresource;
}

function actionSubresource(info: KindInfo, segment: string | undefined): ActionSubresource | undefined {
  if (segment === undefined || !Object.hasOwn(ACTION_SUBRESOURCES, segment)) return undefined;
  const kinds: readonly string[] = ACTION_SUBRESOURCES[segment as ActionSubresource];
  return kinds.includes(info.kind) ? (segment as ActionSubresource) : undefined;
}

export type Route =
  | { type: 'health'; check: 'healthz' | 'livez' | 'readyz' }
  | { type: 'metrics' }
  | { type: 'statusPage' }
  | { type: 'statusJson' }
  | { type: 'version' }
  | { type: 'openApiIndex' }
  | { type: 'openApiV2' }
  | { type: 'accessReview'; resource: ReviewResource }
  | { type: 'openApiDocument'; path: string }
  | { type: 'coreVersions' }
  | { type: 'groupList' }
  | { type: 'resourceList'; group: string; version: string }
  | { type: 'tokens'; resource: TokenResource; id: string | undefined }
  | ResourceRoute
  | SubresourceRoute
  | MetricsRoute
  | { type: 'notFound' };

/** API groups served: '' (core) and every group of the kind registry, plus drover.io. */
export function servedGroupVersions(): Array<{ group: string; version: string }> {
  const out: Array<{ group: string; version: string }> = [];
  for (const k of allKinds()) {
    if (!out.some((g) => g.group === k.group && g.version === k.version)) out.push({ group: k.group, version: k.version });
  }
  if (!out.some((g) => g.group === DROVER_GROUP)) out.push({ group: DROVER_GROUP, version: DROVER_VERSION });
  out.push({ group: AUTHORIZATION_GROUP, version: AUTHORIZATION_VERSION });
  out.push({ group: METRICS_GROUP, version: METRICS_VERSION });
  return out;
}

function kindIn(group: string, version: string, plural: string): KindInfo | undefined {
  return allKinds().find((k) => k.group === group && k.version === version && k.plural === plural);
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // malformed escapes: the path cannot name anything
  }
}

function resourceRoute(group: string, version: string, rawSegments: string[]): Route {
  const decoded = rawSegments.map(decode);
  if (decoded.some((s) => s === undefined || s === '')) return { type: 'notFound' };
  let segs = decoded as string[];
  let watchPath = false;
  if (segs[0] === 'watch') {
    watchPath = true;
    segs = segs.slice(1);
  }
  if (segs.length === 0) return { type: 'resourceList', group, version };

  // Namespaced: namespaces/NS/PLURAL[/NAME[/status]]
  if (segs[0] === 'namespaces' && segs.length >= 3) {
    const info = kindIn(group, version, segs[2]!);
    if (info) {
      if (!info.namespaced || segs.length > 5) return { type: 'notFound' };
      const action = actionSubresource(info, segs[4]);
      if (action) return watchPath ? { type: 'notFound' } : { type: 'subresource', info, namespace: segs[1]!, name: segs[3]!, subresource: action };
      const subresource = segs[4];
      if (subresource !== undefined && subresource !== 'status') return { type: 'notFound' };
      return { type: 'resource', info, namespace: segs[1], name: segs[3], subresource, watchPath };
    }
  }
  // Cluster-scoped kinds, or a namespaced kind across all namespaces (list/watch only).
  const info = kindIn(group, version, segs[0]!);
  if (!info || segs.length > 3) return { type: 'notFound' };
  if (info.namespaced && segs.length > 1) return { type: 'notFound' };
  const subresource = segs[2];
  if (subresource !== undefined && subresource !== 'status') return { type: 'notFound' };
  return { type: 'resource', info, namespace: undefined, name: segs[1], subresource, watchPath };
}

export function parseRoute(pathname: string): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  switch (path) {
    case '/':
    case '/index.html':
      return { type: 'statusPage' };
    case '/status.json':
      return { type: 'statusJson' };
    case '/healthz':
    case '/livez':
    case '/readyz':
      return { type: 'health', check: path.slice(1) as 'healthz' | 'livez' | 'readyz' };
    case '/metrics':
      return { type: 'metrics' };
    case '/version':
      return { type: 'version' };
    case '/openapi/v3':
      return { type: 'openApiIndex' };
    case '/openapi/v2':
      return { type: 'openApiV2' };
    case '/api':
      return { type: 'coreVersions' };
    case '/apis':
      return { type: 'groupList' };
    default:
      break;
  }
  if (path.startsWith('/openapi/v3/')) return { type: 'openApiDocument', path: path.slice('/openapi/v3/'.length) };
  const segs = path.split('/').slice(1);
  if (segs[0] === 'api') {
    if (segs[1] !== 'v1') return { type: 'notFound' };
    return resourceRoute('', 'v1', segs.slice(2));
  }
  if (segs[0] === 'apis' && segs.length >= 3) {
    const group = segs[1]!;
    const version = segs[2]!;
    if (group === AUTHORIZATION_GROUP && version === AUTHORIZATION_VERSION) {
      if (segs.length === 3) return { type: 'resourceList', group, version };
      const resource = segs[3] as ReviewResource;
      return segs.length === 4 && resource in REVIEW_RESOURCES ? { type: 'accessReview', resource } : { type: 'notFound' };
    }
    if (group === METRICS_GROUP && version === METRICS_VERSION) {
      if (segs.length === 3) return { type: 'resourceList', group, version };
      return parseMetricsRoute(segs.slice(3)) ?? { type: 'notFound' };
    }
    if (group === DROVER_GROUP && version === DROVER_VERSION) {
      if (segs.length === 3) return { type: 'resourceList', group, version };
      const resource = segs[3] as TokenResource;
      if (!TOKEN_RESOURCES.includes(resource) || segs.length > 5) return { type: 'notFound' };
      const id = segs[4] === undefined ? undefined : decode(segs[4]);
      if (segs[4] !== undefined && !id) return { type: 'notFound' };
      return { type: 'tokens', resource, id };
    }
    if (!servedGroupVersions().some((g) => g.group === group && g.version === version)) return { type: 'notFound' };
    return resourceRoute(group, version, segs.slice(3));
  }
  return { type: 'notFound' };
}
