/**
 * POST /api/v1/namespaces/NS/pods/NAME/eviction: policy/v1 (or v1beta1) Eviction, what `kubectl drain`
 * sends. As kube-apiserver: the pod is deleted with the Eviction's deleteOptions, unless a
 * PodDisruptionBudget whose selector matches it would be broken, which is 429 TooManyRequests "Cannot
 * evict pod as it would violate the pod's disruption budget." (kubectl drain waits and retries). Pods that
 * are already terminating, finished or still Pending are deleted without looking at budgets; more than
 * one budget for a pod is 500, as Kubernetes answers. Evictions in one namespace are decided one at a
 * time, so two evictions cannot both spend the budget's last disruption.
 *
 * The budget, as Kubernetes' disruption controller counts it: expected = the matching pods that are not
 * terminating; healthy = those of them that are Ready; desiredHealthy = minAvailable (a percentage of
 * expected, rounded up) or expected - maxUnavailable (likewise); the eviction may go ahead while healthy -
 * 1 >= desiredHealthy (an unhealthy pod while healthy >= desiredHealthy, or always with
 * unhealthyPodEvictionPolicy AlwaysAllow). RBAC as Kubernetes: `create` on pods/eviction.
 */
import { matchesSelector, type LabelSelector } from '../../protocol/labels.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { PodDisruptionBudget } from '../../protocol/objects/pod-disruption-budget.js';
import { authorize } from './auth.js';
import type { ApiDeps, Reply, RequestContext } from './context.js';
import { deletePod, parseDeleteOptions } from './deletion.js';
import type { SubresourceRoute } from './router.js';
import { ApiError, apiErrors } from './status.js';

export const PDB_VIOLATION_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";
const EVICTION_VERSIONS = ['policy/v1', 'policy/v1beta1'];

/** Per server (deps), per namespace: the evictions still being decided, chained. */
const queues = new WeakMap<ApiDeps, Map<string, Promise<unknown>>>();

function inTurn<T>(deps: ApiDeps, namespace: string, run: () => Promise<T>): Promise<T> {
  let byNamespace = queues.get(deps);
  if (!byNamespace) queues.set(deps, (byNamespace = new Map()));
  const previous = byNamespace.get(namespace) ?? Promise.resolve();
  const next = previous.then(run, run);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  byNamespace.set(namespace, settled);
  void settled.then(() => {
    if (byNamespace.get(namespace) === settled) byNamespace.delete(namespace);
  });
  return next;
}

function isReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Kubernetes' GetScaledValueFromIntOrPercent with rounding up. */
function scaled(value: number | string, total: number): number {
  if (typeof value === 'number') return value;
  return Math.ceil((Number(value.slice(0, -1)) * total) / 100);
}

export interface BudgetCount {
  expected: number;
  currentHealthy: number;
  desiredHealthy: number;
}

/** The budget's counts over the pods of its namespace. */
export function countBudget(pdb: PodDisruptionBudget, pods: readonly Pod[]): BudgetCount {
  const selector = pdb.spec.selector as LabelSelector | undefined;
  const matching = selector ? pods.filter((p) => !p.metadata.deletionTimestamp && matchesSelector(p.metadata.labels, selector)) : [];
  const expected = matching.length;
  const currentHealthy = matching.filter(isReady).length;
  const { minAvailable, maxUnavailable } = pdb.spec;
  const desiredHealthy =
    minAvailable !== undefined
      ? scaled(minAvailable, expected)
      : maxUnavailable !== undefined
        ? Math.max(0, expected - scaled(maxUnavailable, expected))
        : 0;
  return { expected, currentHealthy, desiredHealthy };
}

function parseEviction(body: unknown, route: SubresourceRoute): { deleteOptions: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw apiErrors.badRequest('the request body must be an Eviction object');
  const b = body as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; namespace?: unknown }; deleteOptions?: unknown };
  if (b.kind !== undefined && b.kind !== 'Eviction') throw apiErrors.badRequest(`the body is a ${String(b.kind)}, not an Eviction`);
  if (b.apiVersion !== undefined && !EVICTION_VERSIONS.includes(String(b.apiVersion))) {
    throw apiErrors.badRequest(`Eviction apiVersion "${String(b.apiVersion)}" is not served: use ${EVICTION_VERSIONS.join(' or ')}`);
  }
  if (b.metadata?.name !== undefined && b.metadata.name !== '' && b.metadata.name !== route.name) {
    throw apiErrors.badRequest(`name in URL does not match name in Eviction object`);
  }
  if (b.metadata?.namespace !== undefined && b.metadata.namespace !== '' && b.metadata.namespace !== route.namespace) {
    throw apiErrors.badRequest(`namespace in URL does not match namespace in Eviction object`);
  }
  return { deleteOptions: b.deleteOptions ?? undefined };
}

/** Handle .../pods/NAME/eviction. */
export async function handleEviction(ctx: RequestContext, route: SubresourceRoute, deps: ApiDeps): Promise<Reply> {
  if (ctx.method !== 'POST') throw apiErrors.methodNotAllowed(`an eviction is created (POST), not ${ctx.method}`);
  if (ctx.principal) authorize(ctx.principal, { verb: 'create', resource: 'pods/eviction', namespace: route.namespace, namespaced: true, name: route.name });
  const eviction = parseEviction(await ctx.readJson(), route);
  const rawOptions = eviction.deleteOptions as { dryRun?: unknown } | undefined;
  const options = parseDeleteOptions(rawOptions, new URLSearchParams());
  const dryRun = Array.isArray(rawOptions?.dryRun) && rawOptions.dryRun.includes('All');
  const key = { kind: 'Pod', namespace: route.namespace, name: route.name };
  return inTurn(deps, route.namespace, async () => {
    const pod = await deps.store.get<Pod>(key);
    if (!pod) throw apiErrors.notFound('pods', route.name);
    const phase = pod.status?.phase;
    const ignoresBudgets = Boolean(pod.metadata.deletionTimestamp) || phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending';
    if (!ignoresBudgets) await checkBudgets(deps, pod);
    if (!dryRun) await deletePod(deps, key, options);
    deps.logger.info({ pod: `${route.namespace}/${route.name}`, by: ctx.principal?.id, dryRun }, 'pod evicted');
    return { code: 201, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 } };
  });
}

async function checkBudgets(deps: ApiDeps, pod: Pod): Promise<void> {
  const namespace = pod.metadata.namespace ?? '';
  const { items } = await deps.store.list<PodDisruptionBudget>('PodDisruptionBudget', { namespace });
  const budgets = items.filter((b) => b.spec.selector !== undefined && matchesSelector(pod.metadata.labels, b.spec.selector as LabelSelector));
  if (budgets.length === 0) return;
  if (budgets.length > 1) throw new ApiError('InternalError', 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  const pdb = budgets[0]!;
  const pods = deps.cache.kind('Pod').list({ namespace }) as unknown as readonly Pod[];
  const count = countBudget(pdb, pods);
  if (pdb.spec.unhealthyPodEvictionPolicy === 'AlwaysAllow' && !isReady(pod)) return;
  const allowed = isReady(pod) ? count.currentHealthy - 1 >= count.desiredHealthy : count.currentHealthy >= count.desiredHealthy;
  if (allowed) return;
  throw new ApiError('TooManyRequests', PDB_VIOLATION_MESSAGE, {
    causes: [
      {
        reason: 'DisruptionBudget',
        message: `The disruption budget ${pdb.metadata.name} needs ${count.desiredHealthy} healthy pods and has ${count.currentHealthy} currently`,
      },
    ],
  });
}
