/**
 * The scale subresource of Deployments, ReplicaSets and StatefulSets, as autoscaling/v1 Scale:
 *   GET   .../deployments/NAME/scale
 *   PUT   .../deployments/NAME/scale   {spec: {replicas: N}, metadata?: {resourceVersion}}  (CAS when given)
 *   PATCH .../deployments/NAME/scale   merge patch on the Scale, e.g. {"spec":{"replicas":3}}
 * Writes change only spec.replicas of the object. RBAC: get/update/patch on `<plural>/scale`.
 */
import { retryOnConflict } from '../store/update-with-retry.js';
import { selectorToString, type LabelSelector } from '../../protocol/labels.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { ObjectKey } from '../store/store.js';
import { authorize, type Verb } from './auth.js';
import type { ApiDeps, Reply, RequestContext } from './context.js';
import { applyMergePatch } from './merge-patch.js';
import type { SubresourceRoute } from './router.js';
import { trackUpdate, writerOf } from './server-side-apply/field-managers.js';
import { apiErrors } from './status.js';

const MERGE_PATCH_TYPES = ['application/merge-patch+json', 'application/strategic-merge-patch+json'];

interface Scalable extends KubeObject {
  spec: { replicas?: number; selector?: LabelSelector };
  status?: { replicas?: number };
}

export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string | null };
  spec: { replicas: number };
  status: { replicas: number; selector: string };
}

export function scaleOf(obj: Scalable): Scale {
  const m = obj.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
    },
    // Kubernetes defaults Deployment, ReplicaSet and StatefulSet replicas to 1
    spec: { replicas: obj.spec.replicas ?? 1 },
    status: { replicas: obj.status?.replicas ?? 0, selector: obj.spec.selector ? selectorToString(obj.spec.selector) : '' },
  };
}

function replicasOf(body: unknown): number {
  const replicas = (body as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    throw apiErrors.invalid('Scale', '', [{ field: 'spec.replicas', message: 'must be a non-negative integer', reason: 'FieldValueInvalid' }]);
  }
  return replicas;
}

async function current(deps: ApiDeps, route: SubresourceRoute, key: ObjectKey): Promise<Scalable> {
  const obj = await deps.store.get<Scalable>(key);
  if (!obj) throw apiErrors.notFound(route.info.plural, route.name, route.info.group);
  return obj;
}

/** Store the new replicas; the writer's Update entry (subresource scale) owns spec.replicas when it changed it. */
async function write(ctx: RequestContext, route: SubresourceRoute, deps: ApiDeps, obj: Scalable, replicas: number, expectedResourceVersion: string): Promise<Scale> {
  const next = trackUpdate(obj, { ...obj, spec: { ...obj.spec, replicas } }, route.info.kind, writerOf(ctx, route.info.apiVersion, deps.clock(), 'Update', 'scale'));
  return scaleOf(await deps.store.update(next, { expectedResourceVersion }));
}

/** Handle .../NAME/scale for a Deployment, ReplicaSet or StatefulSet. */
export async function handleScale(ctx: RequestContext, route: SubresourceRoute, deps: ApiDeps): Promise<Reply> {
  const verbs: Record<string, Verb> = { GET: 'get', PUT: 'update', PATCH: 'patch' };
  const verb = verbs[ctx.method];
  if (!verb) throw apiErrors.methodNotAllowed(`the scale subresource supports GET, PUT and PATCH, not ${ctx.method}`);
  if (ctx.principal) {
    authorize(ctx.principal, { verb, resource: `${route.info.plural}/scale`, namespace: route.namespace, namespaced: true, name: route.name });
  }
  const key: ObjectKey = { kind: route.info.kind, namespace: route.namespace, name: route.name };
  if (verb === 'get') return { code: 200, body: scaleOf(await current(deps, route, key)) };

  if (verb === 'update') {
    const body = await ctx.readJson();
    const replicas = replicasOf(body);
    const obj = await current(deps, route, key);
    const precondition = (body as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;
    const expected = typeof precondition === 'string' && precondition !== '' ? precondition : obj.metadata.resourceVersion!;
    return { code: 200, body: await write(ctx, route, deps, obj, replicas, expected) };
  }

  const contentType = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!MERGE_PATCH_TYPES.includes(contentType)) {
    throw apiErrors.unsupportedMediaType(`the patch content type "${contentType}" is not supported: use application/merge-patch+json`);
  }
  const patch = await ctx.readJson();
  return retryOnConflict(async () => {
    const obj = await current(deps, route, key);
    const replicas = replicasOf(applyMergePatch(scaleOf(obj), patch));
    return { code: 200, body: await write(ctx, route, deps, obj, replicas, obj.metadata.resourceVersion!) };
  });
}
