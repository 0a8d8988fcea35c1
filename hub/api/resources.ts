/**
 * CRUD on stored kinds, generic over protocol's kind registry: get, list, create, replace (PUT),
 * merge-patch (PATCH), delete, and the /status subresource. Every body is validated by
 * protocol validateObject. Writes to the main resource keep the stored status; writes to /status
 * change only the status (as in Kubernetes).
 */
import { pageOf, parseLimit } from './list-pages.js';
import { DEFAULT_CAS_ATTEMPTS, retryOnConflict } from '../store/update-with-retry.js';
import { ManifestError } from '../../protocol/errors.js';
import type { KindInfo } from '../../protocol/kinds.js';
import { validateObject } from '../../protocol/manifest.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { Service } from '../../protocol/objects/service.js';
import type { ObjectKey } from '../store/store.js';
import { admitWrite } from './admission.js';
import { defaultJob } from '../../protocol/job-defaults.js';
import { defaultStorage } from './storage-defaults.js';
import type { Job } from '../../protocol/objects/job.js';
import { authorize, type Verb } from './auth.js';
import { type ApiDeps, type Reply, type RequestContext } from './context.js';
import { withDisruptionStatus } from './disruption-status.js';
import { deleteGeneric, deleteNamespace, deleteNode, deletePod, finalizedByUpdate, parseDeleteOptions } from './deletion.js';
import { applyJsonPatch, asOperations } from './json-patch.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';
import { parseIncludeObject, toTable, wantsTable } from './table.js';
import type { ResourceRoute } from './router.js';
import { equalityFields, matchesSelectors, parseSelectors } from './selectors.js';
import { apiErrors, manifestErrorToApiError } from './status.js';
import { serveWatch } from './watch.js';
import { handleNodeLeases, isAllNamespacesLeaseList, isNodeLeaseRoute, listAllLeases } from './node-lease-api.js';
import { checkListVersion } from './watch-semantics.js';
import { APPLY_PATCH_TYPE, applyManager, checkPatchOptions, parseApplyBody, planApply } from './server-side-apply/apply.js';
import { trackUpdate, writerOf } from './server-side-apply/field-managers.js';
import { managedTime, managersOf, withManagedFields } from './server-side-apply/managed-fields.js';

const PATCH_TYPES = ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json'];

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> };

function isTrue(value: string | null): boolean {
  return value === '1' || value === 'true';
}

/** The verb, for authorization and metrics. */
export function resourceVerb(method: string, route: ResourceRoute, params: URLSearchParams): Verb | undefined {
  switch (method) {
    case 'GET':
      if (route.watchPath || isTrue(params.get('watch'))) return 'watch';
      return route.name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return undefined;
  }
}

function keyOf(route: ResourceRoute, name: string): ObjectKey {
  return { kind: route.info.kind, namespace: route.info.namespaced ? route.namespace ?? '' : '', name };
}

function isDryRun(params: URLSearchParams): boolean {
  return params.getAll('dryRun').includes('All');
}

function asObject(body: unknown, what: string): Obj {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw apiErrors.badRequest(`${what} must be a JSON object`);
  return body as Obj;
}

/** Validate with the kind's schema; 422 with every field problem otherwise. */
function validate(info: KindInfo, obj: Obj): KubeObject {
  const name = String(obj.metadata?.name ?? obj.metadata?.generateName ?? '');
  try {
    return validateObject(obj, `${info.kind} "${name}"`);
  } catch (err) {
    if (err instanceof ManifestError) throw manifestErrorToApiError(err, info.kind, name);
    throw err;
  }
}

/**
 * Check kind/apiVersion/name/namespace of an incoming body against the URL and fill what the URL
 * implies. Returns a copy.
 */
function shapeIncoming(route: ResourceRoute, body: unknown): Obj {
  const obj = structuredClone(asObject(body, 'the request body'));
  const { info } = route;
  obj.kind ??= info.kind;
  obj.apiVersion ??= info.apiVersion;
  if (obj.kind !== info.kind || obj.apiVersion !== info.apiVersion) {
    throw apiErrors.badRequest(
      `the object in the body (${String(obj.apiVersion)}, ${String(obj.kind)}) does not match the URL (${info.apiVersion}, ${info.kind})`,
    );
  }
  if (obj.metadata === undefined) obj.metadata = {};
  const metadata = asObject(obj.metadata, 'metadata');
  if (route.name !== undefined) {
    metadata.name ??= route.name;
    if (metadata.name !== route.name) {
      throw apiErrors.badRequest(`the name of the object (${String(metadata.name)}) does not match the name on the URL (${route.name})`);
    }
  }
  if (info.namespaced) {
    metadata.namespace ??= route.namespace;
    if (metadata.namespace !== route.namespace) {
      throw apiErrors.badRequest(
        `the namespace of the provided object (${String(metadata.namespace)}) does not match the namespace sent on the request (${route.namespace})`,
      );
    }
  } else {
    delete metadata.namespace;
  }
  return obj;
}

async function requireNamespace(deps: ApiDeps, namespace: string): Promise<void> {
  if (!(await deps.store.get({ kind: 'Namespace', namespace: '', name: namespace }))) {
    throw apiErrors.notFound('namespaces', namespace);
  }
}

async function getOr404(deps: ApiDeps, route: ResourceRoute, name: string): Promise<KubeObject> {
  const obj = await deps.store.get(keyOf(route, name));
  if (!obj) throw apiErrors.notFound(route.info.plural, name, route.info.group);
  return obj;
}

/** Fields a client may not change through the main resource: kept from the stored object. */
function mergeForWrite(route: ResourceRoute, existing: KubeObject, incoming: Obj): Obj {
  if (route.subresource === 'status') {
    const out: Obj = { ...structuredClone(existing), status: incoming.status };
    if (!route.info.namespaced) delete out.metadata!.namespace;
    return out;
  }
  const metadata = { ...(incoming.metadata ?? {}) };
  for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
    if (existing.metadata[k] === undefined) delete metadata[k];
    else metadata[k] = existing.metadata[k];
  }
  if (!route.info.namespaced) delete metadata.namespace;
  const out: Obj = { ...incoming, metadata };
  if (existing.status === undefined) delete out.status;
  else out.status = structuredClone(existing.status);
  return out;
}

function checkImmutable(route: ResourceRoute, existing: KubeObject, next: KubeObject): void {
  if (route.info.kind !== 'Pod') return;
  const before = (existing.spec as { nodeName?: string } | undefined)?.nodeName;
  const after = (next.spec as { nodeName?: string } | undefined)?.nodeName;
  if (before && after !== before) {
    throw apiErrors.invalid('Pod', existing.metadata.name, [
      { field: 'spec.nodeName', message: `field is immutable once the pod is bound (bound to "${before}")`, reason: 'FieldValueForbidden' },
    ]);
  }
}

async function list(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps): Promise<Reply> {
  const params = ctx.url.searchParams;
  const selectors = parseSelectors(params);
  const limit = parseLimit(params.get('limit'));
  const options = {
    namespace: route.info.namespaced ? route.namespace : undefined,
    labelSelector: selectors.labels,
    fieldSelector: equalityFields(selectors.fields),
  };
  await checkListVersion(params, deps);
  // The kinds the control loops read come from the informer cache; the rest (Leases outside kube-node-lease) from the store.
  const cached = deps.cache.holds(route.info.kind);
  const listed = cached
    ? { items: deps.cache.kind(route.info.kind).list(options), revision: deps.cache.revision() }
    : await deps.store.list(route.info.kind, options);
  const matching = listed.items.filter((o) => matchesSelectors(o, selectors));
  const page = pageOf(matching, limit, params.get('continue'), listed.revision);
  return {
    code: 200,
    body: {
      apiVersion: route.info.apiVersion,
      kind: `${route.info.kind}List`,
      metadata: {
        resourceVersion: String(page.resourceVersion),
        ...(page.continue ? { continue: page.continue, remainingItemCount: page.remainingItemCount } : {}),
      },
      items: page.items,
    },
  };
}

async function create(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps): Promise<Reply> {
  if (route.name !== undefined || route.subresource) throw apiErrors.methodNotAllowed('POST creates objects in a collection: drop the name from the URL');
  if (route.info.kind === 'Node') {
    throw apiErrors.methodNotAllowed(
      'nodes cannot be created through the API: a node joins with a join token (`drover token create`, then `drover agent --hub URL --token T` on the device)',
    );
  }
  if (route.info.namespaced && route.namespace === undefined) {
    throw apiErrors.badRequest(`${route.info.plural} are namespaced: POST to /…/namespaces/NAMESPACE/${route.info.plural}`);
  }
  const obj = shapeIncoming(route, await ctx.readJson());
  return insert(ctx, route, deps, obj, (valid) => trackUpdate(undefined, valid, route.info.kind, writerOf(ctx, route.info.apiVersion, deps.clock())));
}

/** Store a new object (a create, or a server-side apply of a missing one); `track` sets its managedFields. */
async function insert(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps, obj: Obj, track: (valid: KubeObject) => KubeObject): Promise<Reply> {
  const metadata = obj.metadata!;
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation']) {
    delete metadata[k];
  }
  if (route.info.kind === 'Pod') obj.status = { phase: 'Pending' };
  if (route.info.kind === 'Namespace') obj.status = { phase: 'Active' };
  let valid = track(validate(route.info, obj));
  if (valid.kind === 'Job') valid = defaultJob(valid as Job);
  valid = await defaultStorage(deps, valid);
  ctx.audit.objectName = valid.metadata.name || String(metadata.generateName ?? '');
  if (route.info.namespaced) await requireNamespace(deps, route.namespace!);
  admitWrite(ctx, route, deps, valid);
  const dryRun = isDryRun(ctx.url.searchParams);
  if (valid.kind === 'Service') {
    return { code: 201, body: await deps.services.admit(valid as Service, undefined, async (s) => (dryRun ? s : deps.store.create(s))) };
  }
  if (dryRun) return { code: 201, body: valid };
  return { code: 201, body: await deps.store.create(valid) };
}

async function replace(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps): Promise<Reply> {
  const name = route.name!;
  const incoming = shapeIncoming(route, await ctx.readJson());
  const existing = await getOr404(deps, route, name);
  const merged = mergeForWrite(route, existing, incoming);
  const valid = trackIfMain(ctx, route, deps, existing, validate(route.info, merged));
  checkImmutable(route, existing, valid);
  admitWrite(ctx, route, deps, valid, existing);
  const expected = incoming.metadata?.resourceVersion;
  const options = typeof expected === 'string' && expected !== '' ? { expectedResourceVersion: expected } : {};
  const dryRun = isDryRun(ctx.url.searchParams);
  if (valid.kind === 'Service') {
    return { code: 200, body: await deps.services.admit(valid as Service, existing as Service, async (s) => (dryRun ? s : deps.store.update(s, options))) };
  }
  if (dryRun) return { code: 200, body: valid };
  const updated = await deps.store.update(valid, options);
  return { code: 200, body: updated };
}

/** The object `existing` becomes under a patch of `contentType` (merge, strategic merge or JSON patch). */
function applyPatch(contentType: string, existing: KubeObject, patchBody: Obj | unknown[], kind: string, name: string): Obj {
  const patched =
    contentType === 'application/json-patch+json'
      ? applyJsonPatch(existing, patchBody as unknown[], kind, name)
      : contentType === 'application/strategic-merge-patch+json'
        ? applyStrategicMergePatch(existing, patchBody, kind)
        : applyMergePatch(existing, patchBody);
  return asObject(patched, 'the patched object');
}

/** An ordinary write to the main resource records its manager's Update entry (writes to /status keep the managers). */
function trackIfMain(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps, existing: KubeObject, valid: KubeObject): KubeObject {
  if (route.subresource) return valid;
  return trackUpdate(existing, valid, route.info.kind, writerOf(ctx, route.info.apiVersion, deps.clock()));
}

/** Validate, admit and store an update of `existing` (a compare-and-swap on `expected`). */
async function storeUpdate(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps, existing: KubeObject, valid: KubeObject, expected: string | undefined): Promise<Reply> {
  checkImmutable(route, existing, valid);
  admitWrite(ctx, route, deps, valid, existing);
  const dryRun = isDryRun(ctx.url.searchParams);
  if (valid.kind === 'Service') {
    const write = async (s: Service) => (dryRun ? s : deps.store.update(s, { expectedResourceVersion: expected }));
    return { code: 200, body: await deps.services.admit(valid as Service, existing as Service, write) };
  }
  if (dryRun) return { code: 200, body: valid };
  if (finalizedByUpdate(existing, valid)) {
    const written = await deps.store.update(valid, { expectedResourceVersion: expected });
    await deps.store.delete(keyOf(route, existing.metadata.name), { expectedResourceVersion: written.metadata.resourceVersion });
    return { code: 200, body: written };
  }
  return { code: 200, body: await deps.store.update(valid, { expectedResourceVersion: expected }) };
}

/** Server-side apply: the object is created when missing; conflicts with other managers are 409 unless `force=true`. */
async function serverSideApply(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps): Promise<Reply> {
  if (route.subresource) throw apiErrors.unsupportedMediaType('server-side apply of the status subresource is not supported: apply the object itself');
  const params = ctx.url.searchParams;
  const manager = applyManager(params);
  const force = isTrue(params.get('force'));
  const applied = shapeIncoming(route, parseApplyBody(await ctx.readText()));
  const metadata = applied.metadata!;
  const precondition = typeof metadata.resourceVersion === 'string' && metadata.resourceVersion !== '' ? metadata.resourceVersion : undefined;
  for (const k of ['uid', 'resourceVersion', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'managedFields']) delete metadata[k];
  const who = { manager, operation: 'Apply' as const, apiVersion: route.info.apiVersion, time: managedTime(deps.clock()) };
  return retryOnConflict(async () => {
    const existing = await deps.store.get(keyOf(route, route.name!));
    if (!existing) {
      if (precondition) throw apiErrors.notFound(route.info.plural, route.name!, route.info.group);
      if (ctx.principal) {
        authorize(ctx.principal, { verb: 'create', resource: route.info.plural, namespace: route.namespace, namespaced: route.info.namespaced, name: route.name! });
      }
      const plan = planApply({ live: undefined, applied, kind: route.info.kind, managers: [], who, force });
      ctx.audit.objectName = route.name!;
      return insert(ctx, route, deps, plan.object, (valid) => withManagedFields(valid, plan.managers));
    }
    const plan = planApply({ live: existing, applied, kind: route.info.kind, managers: managersOf(existing), who, force });
    const merged = mergeForWrite(route, existing, plan.object);
    const valid = withManagedFields(validate(route.info, merged), plan.managers);
    return storeUpdate(ctx, route, deps, existing, valid, precondition ?? existing.metadata.resourceVersion);
  }, { attempts: precondition ? 1 : DEFAULT_CAS_ATTEMPTS + 1 });
}

async function patch(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps): Promise<Reply> {
  const name = route.name!;
  const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  checkPatchOptions(contentType, ctx.url.searchParams);
  if (contentType === APPLY_PATCH_TYPE) return serverSideApply(ctx, route, deps);
  if (!PATCH_TYPES.includes(contentType)) {
    throw apiErrors.unsupportedMediaType(
      `the patch content type "${contentType}" is not supported: use application/merge-patch+json, application/strategic-merge-patch+json, application/json-patch+json or application/apply-patch+yaml`,
    );
  }
  const body = await ctx.readJson();
  const patchBody = contentType === 'application/json-patch+json' ? asOperations(body) : asObject(body, 'a merge patch');
  const precondition = Array.isArray(patchBody) ? undefined : (patchBody.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
  // A patch that names a resourceVersion gets the conflict; one that does not is applied to a fresh read.
  return retryOnConflict(async () => {
    const existing = await getOr404(deps, route, name);
    const patched = applyPatch(contentType, existing, patchBody, route.info.kind, name);
    const pm = asObject(patched.metadata ?? {}, 'metadata');
    pm.name = existing.metadata.name;
    if (route.info.namespaced) pm.namespace = existing.metadata.namespace;
    else delete pm.namespace;
    patched.metadata = pm;
    const merged = mergeForWrite(route, existing, patched);
    const valid = trackIfMain(ctx, route, deps, existing, validate(route.info, merged));
    const expected = typeof precondition === 'string' ? precondition : existing.metadata.resourceVersion;
    return storeUpdate(ctx, route, deps, existing, valid, expected);
  }, { attempts: typeof precondition === 'string' ? 1 : DEFAULT_CAS_ATTEMPTS + 1 });
}

async function remove(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps): Promise<Reply> {
  if (route.name === undefined) throw apiErrors.methodNotAllowed('deleting a whole collection is not supported: name the objects to delete');
  if (route.subresource) throw apiErrors.methodNotAllowed('the status subresource cannot be deleted');
  const options = parseDeleteOptions(await ctx.readJson(true), ctx.url.searchParams);
  const key = keyOf(route, route.name);
  let deleted: KubeObject;
  switch (route.info.kind) {
    case 'Pod':
      deleted = await deletePod(deps, key, options);
      break;
    case 'Namespace':
      deleted = await deleteNamespace(deps, route.name, options);
      break;
    case 'Node':
      deleted = await deleteNode(deps, route.name, options);
      break;
    default:
      deleted = await deleteGeneric(deps, key, options);
  }
  deps.logger.info({ kind: route.info.kind, namespace: key.namespace, name: key.name, by: ctx.principal?.id, terminating: Boolean(deleted.metadata.deletionTimestamp) }, 'delete');
  return { code: 200, body: deleted };
}

/** Handle a request on a resource path (authorization included). */
/** A GET or LIST answered as a meta.k8s.io Table when the client asks for one (kubectl get). */
function asTableIfAsked(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps, reply: Reply): Reply {
  const version = wantsTable(ctx.req.headers.accept);
  if (!version || route.subresource || !('body' in reply)) return reply;
  const body = reply.body as { items?: KubeObject[]; metadata?: Record<string, unknown> } & KubeObject;
  const objects = Array.isArray(body.items) ? body.items : [body];
  const listMeta = Array.isArray(body.items) ? (body.metadata as { resourceVersion?: string; continue?: string; remainingItemCount?: number }) : undefined;
  const includeObject = parseIncludeObject(ctx.url.searchParams.get('includeObject'));
  return { code: reply.code, body: toTable(route.info.kind, objects, { version, includeObject, now: deps.clock(), ...(listMeta ? { listMeta } : {}) }) };
}

/** A list of PodDisruptionBudgets with their status computed (disruption-status.ts); other lists as they are. */
function withComputedStatus(deps: ApiDeps, reply: Reply): Reply {
  if (!('body' in reply)) return reply;
  const body = reply.body as { kind?: string; items?: KubeObject[] };
  if (body.kind !== 'PodDisruptionBudgetList' || !Array.isArray(body.items)) return reply;
  return { code: reply.code, body: { ...body, items: body.items.map((o) => withDisruptionStatus(deps, o)) } };
}

export async function handleResource(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps): Promise<Reply> {
  const verb = resourceVerb(ctx.method, route, ctx.url.searchParams);
  if (!verb) throw apiErrors.methodNotAllowed(`method ${ctx.method} is not supported on ${ctx.url.pathname}`);
  if (ctx.principal) {
    authorize(ctx.principal, {
      verb,
      resource: route.subresource ? `${route.info.plural}/${route.subresource}` : route.info.plural,
      namespace: route.info.namespaced ? route.namespace : undefined,
      namespaced: route.info.namespaced,
      ...(route.name !== undefined ? { name: route.name } : {}),
    });
  }
  if (isNodeLeaseRoute(route)) return asTableIfAsked(ctx, route, deps, await handleNodeLeases(ctx, route, deps, verb));
  if (isAllNamespacesLeaseList(route, verb)) return asTableIfAsked(ctx, route, deps, await listAllLeases(ctx, deps));
  if (route.subresource === 'status' && (verb === 'create' || verb === 'delete' || verb === 'list' || verb === 'watch')) {
    throw apiErrors.methodNotAllowed(`the status subresource supports get, update and patch, not ${verb}`);
  }
  switch (verb) {
    case 'watch':
      return serveWatch(ctx, route, deps);
    case 'list':
      return asTableIfAsked(ctx, route, deps, withComputedStatus(deps, await list(ctx, route, deps)));
    case 'get':
      return asTableIfAsked(ctx, route, deps, { code: 200, body: withDisruptionStatus(deps, await getOr404(deps, route, route.name!)) });
    case 'create':
      return create(ctx, route, deps);
    case 'update':
      if (route.name === undefined) throw apiErrors.methodNotAllowed('PUT needs an object name in the URL');
      return replace(ctx, route, deps);
    case 'patch':
      if (route.name === undefined) throw apiErrors.methodNotAllowed('PATCH needs an object name in the URL');
      return patch(ctx, route, deps);
    case 'delete':
      return remove(ctx, route, deps);
  }
}
