/**
 * authorization.k8s.io/v1 SelfSubjectAccessReview and SelfSubjectRulesReview, answered from Drover's
 * roles (auth.ts' authorize, so the answer is what the API would do): `kubectl auth can-i VERB
 * RESOURCE [-n NS]` and `kubectl auth can-i --list`. Any authenticated token may ask about itself.
 */
import { allKinds } from '../../protocol/kinds.js';
import { ApiError, apiErrors } from './status.js';
import { ADMIN_ONLY_RESOURCES as TOKEN_RESOURCES, authorize, type ApiPrincipal, type Verb } from './auth.js';
import { AUTHORIZATION_GROUP, AUTHORIZATION_VERSION, REVIEW_RESOURCES, type ReviewResource } from './router.js';


const VERBS: readonly Verb[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
/** Non-resource paths every authenticated token may GET (discovery, version, OpenAPI, health). */
const OPEN_PATHS = ['/api', '/api/*', '/apis', '/apis/*', '/version', '/openapi', '/openapi/*', '/healthz', '/livez', '/readyz'];

interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

/** Is `resource` (with `subresource`) of `group` namespaced? Unknown resources are, when a namespace is named. */
function isNamespaced(group: string, resource: string, namespace: string | undefined): boolean {
  const info = allKinds().find((k) => k.plural === resource && (group === '*' || k.group === group));
  if (info) return info.namespaced;
  if (TOKEN_RESOURCES.includes(resource)) return false;
  return namespace !== undefined && namespace !== '';
}

function allowed(principal: ApiPrincipal, attrs: ResourceAttributes): { allowed: boolean; reason?: string } {
  const verbs = attrs.verb === '*' ? VERBS : [attrs.verb as Verb];
  if (!verbs.every((v) => VERBS.includes(v))) {
    return principal.role === 'admin' ? { allowed: true, reason: 'admin token' } : { allowed: false, reason: `Drover's roles do not grant the verb "${attrs.verb}"` };
  }
  const resource = attrs.resource ?? '';
  const full = attrs.subresource ? `${resource}/${attrs.subresource}` : resource;
  const namespace = attrs.namespace || undefined;
  try {
    for (const verb of verbs) {
      authorize(principal, { verb, resource: full, namespace, namespaced: isNamespaced(attrs.group ?? '', resource, namespace), ...(attrs.name ? { name: attrs.name } : {}) });
    }
    return { allowed: true, reason: `${principal.role} token${principal.namespace ? ` scoped to namespace ${principal.namespace}` : ''}` };
  } catch (err) {
    if (err instanceof ApiError && err.reason === 'Forbidden') return { allowed: false, reason: err.message };
    throw err;
  }
}

function matchesPath(path: string): boolean {
  return OPEN_PATHS.some((p) => (p.endsWith('/*') ? path.startsWith(p.slice(0, -1)) : path === p));
}

/** The review with its status filled in. */
export function review(principal: ApiPrincipal, resource: ReviewResource, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw apiErrors.badRequest(`a ${REVIEW_RESOURCES[resource]} must be a JSON object`);
  const spec = ((body as { spec?: unknown }).spec ?? {}) as Record<string, unknown>;
  const base = { apiVersion: `${AUTHORIZATION_GROUP}/${AUTHORIZATION_VERSION}`, kind: REVIEW_RESOURCES[resource], metadata: { creationTimestamp: null }, spec };
  if (resource === 'selfsubjectrulesreviews') return { ...base, status: rules(principal, typeof spec.namespace === 'string' ? spec.namespace : undefined) };
  const attrs = spec.resourceAttributes as ResourceAttributes | undefined;
  const nonResource = spec.nonResourceAttributes as { path?: string; verb?: string } | undefined;
  if (attrs) return { ...base, status: allowed(principal, attrs) };
  if (nonResource) {
    const ok = principal.role === 'admin' || ((nonResource.verb ?? 'get') === 'get' && matchesPath(nonResource.path ?? ''));
    return { ...base, status: { allowed: ok, ...(ok ? {} : { reason: `only admin tokens may ${nonResource.verb} ${nonResource.path}` }) } };
  }
  throw apiErrors.invalid(REVIEW_RESOURCES[resource], '', [{ field: 'spec', message: 'exactly one of resourceAttributes or nonResourceAttributes must be set', reason: 'FieldValueRequired' }]);
}

/** What the principal may do in `namespace`: every resource with the verbs authorize() grants, grouped by verb set. */
function rules(principal: ApiPrincipal, namespace: string | undefined): Record<string, unknown> {
  const nonResourceRules = [{ verbs: ['get'], nonResourceURLs: OPEN_PATHS }];
  if (principal.role === 'admin') {
    return { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false };
  }
  const candidates = [
    ...allKinds().flatMap((k) => [
      { group: k.group, resource: k.plural },
      { group: k.group, resource: `${k.plural}/status` },
    ]),
    ...TOKEN_RESOURCES.map((r) => ({ group: 'drover.io', resource: r })),
    { group: AUTHORIZATION_GROUP, resource: 'selfsubjectaccessreviews', always: ['create'] },
    { group: AUTHORIZATION_GROUP, resource: 'selfsubjectrulesreviews', always: ['create'] },
  ];
  const byVerbs = new Map<string, { verbs: string[]; apiGroups: Set<string>; resources: string[] }>();
  for (const c of candidates) {
    const [resource, subresource] = c.resource.split('/') as [string, string | undefined];
    const verbs = 'always' in c ? c.always! : VERBS.filter((verb) => allowed(principal, { verb, group: c.group, resource, ...(subresource ? { subresource } : {}), ...(namespace ? { namespace } : {}) }).allowed);
    if (verbs.length === 0) continue;
    const key = verbs.join(',');
    let rule = byVerbs.get(key);
    if (!rule) byVerbs.set(key, (rule = { verbs, apiGroups: new Set(), resources: [] }));
    rule.apiGroups.add(c.group);
    rule.resources.push(c.resource);
  }
  return {
    resourceRules: [...byVerbs.values()].map((r) => ({ verbs: r.verbs, apiGroups: [...r.apiGroups], resources: r.resources })),
    nonResourceRules,
    incomplete: false,
  };
}
