/** What every handler receives: the request, the caller, and the hub's parts the API uses. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../protocol/logger.js';
import type { PodSecurityAdmission } from '../admission/pod-security/admission.js';
import type { ObjectCache } from '../cache/object-cache.js';
import type { NodeLeases } from '../leases/node-leases.js';
import type { ServiceRegistry } from '../registry/services.js';
import type { Store } from '../store/store.js';
import type { ApiAuth, ApiPrincipal } from './auth.js';
import type { ApiMetrics } from './metrics.js';

export interface ApiDeps {
  store: Store;
  /** The informer cache LIST is served from. */
  cache: ObjectCache;
  /** Service defaults and IP/port allocation before a Service is written. */
  services: ServiceRegistry;
  /** Pod Security admission (hub/admission) for Pods, pod templates and Namespaces. */
  podSecurity: PodSecurityAdmission;
  auth: ApiAuth;
  logger: Logger;
  clock: () => number;
  /** Open watch streams, ended when the server closes. */
  activeStreams: Set<{ end(): void }>;
  /** A watch client this many bytes behind is cut off. */
  maxWatchBufferBytes: number;
  metrics: ApiMetrics;
  /** The hub's node leases (hub/leases): kube-node-lease Leases and metrics.k8s.io are served from them; absent = none known. */
  leases?: Pick<NodeLeases, 'get'>;
  /** How often a kube-node-lease watch looks for renewals (node-lease-api.ts; default 10 s). */
  nodeLeasePollMs?: number;
  /** How often a watch with allowWatchBookmarks=true gets a BOOKMARK (watch-semantics.ts; default 60 s). */
  bookmarkIntervalMs?: number;
}

/** 1 MiB: beyond the socket's own buffers, a watch client may be this far behind before it is cut off. */
export const DEFAULT_WATCH_BUFFER_BYTES = 1024 * 1024;

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  principal: ApiPrincipal | undefined;
  /** What handlers add to this request's audit event. */
  audit: RequestAudit;
  /** Parse the JSON body (size-limited); `optional` allows an empty body. */
  readJson(optional?: boolean): Promise<unknown>;
  /** The body as text (size-limited): server-side apply reads YAML. */
  readText(): Promise<string>;
}

export interface RequestAudit {
  /** Pod Security's audit annotations (enforce-policy, audit-violations, exempt). */
  annotations: Record<string, string>;
  /** The object a create names in its body (the URL does not), as Kubernetes' audit objectRef has it. */
  objectName?: string;
}

/** A handler's answer: a JSON body with a code, or "I wrote the response myself" (streams, text). */
export type Reply = { code: number; body: unknown } | { handled: true };

