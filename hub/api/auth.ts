/**
 * Who is calling, and may they do this. Bearer tokens are verified by the hub's auth service (the
 * ApiAuth subset below); roles are Drover's three:
 *   admin - everything;
 *   edit  - read everything it may see, write workloads (not Nodes, Namespaces, tokens or any status subresource);
 *   view  - get, list and watch only, and never Secrets (as Kubernetes' view role: their values are credentials).
 * A token with a namespace sees only namespaced objects of that namespace (and may get that Namespace).
 */
import type { IncomingMessage } from 'node:http';
import { apiErrors } from './status.js';

export type ApiRole = 'admin' | 'edit' | 'view';

export interface ApiPrincipal {
  id: string;
  role: ApiRole;
  namespace?: string;
}

type MaybePromise<T> = T | Promise<T>;

/** The part of the hub's AuthService (hub/auth) the API uses. Results may be sync or async. */
export interface ApiAuth {
  verifyApiToken(token: string): MaybePromise<ApiPrincipal | undefined>;
  createJoinToken(o: { ttlSeconds?: number; description?: string; singleUse?: boolean }): MaybePromise<{
    token: string;
    id: string;
    expiresAt: string;
  }>;
  listJoinTokens(): MaybePromise<readonly unknown[]>;
  revokeJoinToken(id: string): MaybePromise<unknown>;
  createApiToken(o: { role: ApiRole; namespace?: string; description?: string }): MaybePromise<{ token: string; id: string }>;
  listApiTokens?(): MaybePromise<readonly unknown[]>;
  revokeApiToken?(id: string): MaybePromise<unknown>;
  revokeNodeCredential(nodeName: string): MaybePromise<unknown>;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

const READ_VERBS: readonly Verb[] = ['get', 'list', 'watch'];

export interface AccessRequest {
  verb: Verb;
  /** Plural resource name, e.g. "pods", "nodes", "jointokens", with its subresource: "pods/status", "pods/exec". */
  resource: string;
  /** For namespaced resources: the namespace, or undefined for an all-namespaces list. */
  namespace: string | undefined;
  namespaced: boolean;
  name?: string;
}

/** Resources only an admin may write. */
const ADMIN_WRITE_ONLY = new Set(['nodes', 'namespaces']);
/** Resources the view role may not even read (Kubernetes' view ClusterRole leaves Secrets out). */
const VIEW_HIDDEN = new Set(['secrets']);
/** Resources only an admin may touch at all. */
const ADMIN_ONLY = new Set(['jointokens', 'apitokens']);

/** The bearer token of a request, or undefined. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/** Verify a token; 401 Unauthorized if it is missing or not valid. */
export async function authenticate(auth: ApiAuth, token: string | undefined): Promise<ApiPrincipal> {
  if (!token) throw apiErrors.unauthorized('Unauthorized: send "Authorization: Bearer <token>" (see `drover token` and ~/.drover/config.json)');
  const principal = await auth.verifyApiToken(token);
  if (!principal) throw apiErrors.unauthorized('Unauthorized: the token is unknown, revoked or malformed');
  return principal;
}

function deny(principal: ApiPrincipal, req: AccessRequest): never {
  const where = req.namespaced
    ? req.namespace === undefined
      ? 'across all namespaces'
      : `in namespace "${req.namespace}"`
    : 'at the cluster scope';
  // "pods/status" and "pods/exec" are subresources of "pods": the object is named by its resource, as Kubernetes does
  const resource = req.resource.split('/')[0]!;
  const subject = req.name ? `${resource} "${req.name}"` : resource;
  throw apiErrors.forbidden(
    `${subject} is forbidden: token "${principal.id}" (role ${principal.role}${principal.namespace ? `, namespace ${principal.namespace}` : ''}) cannot ${req.verb} resource "${req.resource}" ${where}`,
    { kind: req.resource, ...(req.name ? { name: req.name } : {}) },
  );
}

/** Throws a 403 Forbidden ApiError unless the principal may do `req`. */
export function authorize(principal: ApiPrincipal, req: AccessRequest): void {
  if (principal.role === 'admin') return;
  const resource = req.resource.split('/')[0]!; // the rules below hold for a resource's subresources too
  if (ADMIN_ONLY.has(resource)) deny(principal, req);
  const isRead = READ_VERBS.includes(req.verb);
  if (principal.role === 'view' && (!isRead || VIEW_HIDDEN.has(resource))) deny(principal, req);
  // Status is what the hub's components observed (the agent's pod and node reports, the controllers'
  // counts): only they (through the store) and admin tokens write it, as Kubernetes' edit role cannot.
  if (!isRead && req.resource.endsWith('/status')) deny(principal, req);
  if (principal.role === 'edit' && !isRead && ADMIN_WRITE_ONLY.has(resource)) deny(principal, req);
  if (principal.namespace !== undefined) {
    if (req.namespaced) {
      if (req.namespace !== principal.namespace) deny(principal, req);
    } else if (!(req.resource === 'namespaces' && req.verb === 'get' && req.name === principal.namespace)) {
      deny(principal, req);
    }
  }
}

/** May the principal see objects of this namespace (used to filter summaries)? */
export function canSeeNamespace(principal: ApiPrincipal | undefined, namespace: string): boolean {
  return principal?.namespace === undefined || principal.namespace === namespace;
}
