/**
 * autoscaling/v1 HorizontalPodAutoscalers (kubectl 1.32's `autoscale` creates them): the same stored
 * autoscaling/v2 objects, converted on the way in and out (protocol/hpa-v1.ts) around the generic
 * resource handler: create, get, list (and kubectl's Table), update, delete. Patch and watch are
 * served on autoscaling/v2 only; status is the controller's.
 */
import { hpaV1ToV2, hpaV2ToV1, horizontalPodAutoscalerV1Schema, type HorizontalPodAutoscalerV1 } from '../../protocol/hpa-v1.js';
import type { HorizontalPodAutoscaler } from '../../protocol/objects/horizontal-pod-autoscaler.js';
import type { ApiDeps, Reply, RequestContext } from './context.js';
import { handleResource, resourceVerb } from './resources.js';
import type { ResourceRoute } from './router.js';
import { apiErrors } from './status.js';

function parseV1(body: unknown): HorizontalPodAutoscalerV1 {
  const withDefaults = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', ...(body as object) };
  const r = horizontalPodAutoscalerV1Schema.safeParse(withDefaults);
  if (r.success) return r.data as HorizontalPodAutoscalerV1;
  const name = String((body as { metadata?: { name?: unknown } })?.metadata?.name ?? '');
  throw apiErrors.invalid(
    'HorizontalPodAutoscaler',
    name,
    r.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message, reason: 'FieldValueInvalid' })),
  );
}

function toV1(body: unknown): unknown {
  const o = body as { kind?: string; items?: unknown[]; apiVersion?: string };
  if (o?.kind === 'HorizontalPodAutoscaler') return hpaV2ToV1(o as HorizontalPodAutoscaler);
  if (o?.kind === 'HorizontalPodAutoscalerList') return { ...o, apiVersion: 'autoscaling/v1', items: (o.items ?? []).map((i) => hpaV2ToV1(i as HorizontalPodAutoscaler)) };
  return body; // a Table, a Status
}

export async function handleHpaV1(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps): Promise<Reply> {
  const verb = resourceVerb(ctx.method, route, ctx.url.searchParams);
  if (verb === 'watch' || verb === 'patch' || route.subresource === 'status') {
    throw apiErrors.methodNotAllowed(`autoscaling/v1 horizontalpodautoscalers serve create, get, list, update and delete; use autoscaling/v2 to ${route.subresource ? 'write the status' : verb}`);
  }
  let inner = ctx;
  if (verb === 'create' || verb === 'update') {
    const v1 = parseV1(await ctx.readJson());
    const existing =
      verb === 'update' && route.name !== undefined
        ? await deps.store.get<HorizontalPodAutoscaler>({ kind: 'HorizontalPodAutoscaler', namespace: route.namespace ?? 'default', name: route.name })
        : undefined;
    const v2 = hpaV1ToV2(v1, existing);
    inner = { ...ctx, readJson: async () => v2 };
  }
  const reply = await handleResource(inner, route, deps);
  return 'body' in reply ? { ...reply, body: toV1(reply.body) } : reply;
}
