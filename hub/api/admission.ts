/**
 * What the API asks hub/admission before a write is stored: Pod Security for Pods, workload pod
 * templates and Namespaces (with Drover's toleration rule), and the component-source rule for Events.
 * Warnings go to the client as Warning headers, audit annotations into the request's audit record;
 * a refusal is a 403 Forbidden (a 422 for unreadable namespace labels), as Kubernetes answers.
 */
import type { Event } from '../../protocol/objects/event.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { Namespace } from '../../protocol/objects/namespace.js';
import type { Pod } from '../../protocol/objects/pod.js';
import type { DaemonSet, Deployment, ReplicaSet } from '../../protocol/objects/workloads.js';
import type { StatefulSet } from '../../protocol/objects/stateful-set.js';
import type { CronJob } from '../../protocol/objects/cron-job.js';
import type { Job } from '../../protocol/objects/job.js';
import { claimedComponent } from '../admission/event-sources.js';
import { AdmissionForbiddenError } from '../admission/errors.js';
import type { AdmissionDecision, Requester } from '../admission/pod-security/admission.js';
import type { ApiDeps, RequestContext } from './context.js';
import { addWarning } from './http-io.js';
import type { ResourceRoute } from './router.js';

/** Kinds whose spec.template is a pod template (a CronJob's is spec.jobTemplate.spec.template). */
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob']);

/** Kubernetes' group-resource, as its Forbidden messages print it: "pods", "deployments.apps". */
export function groupResource(route: ResourceRoute): string {
  return route.info.group === '' ? route.info.plural : `${route.info.plural}.${route.info.group}`;
}

export function requesterOf(ctx: RequestContext): Requester {
  return ctx.principal ? { name: ctx.principal.id, admin: ctx.principal.role === 'admin' } : { name: 'system:anonymous', admin: false };
}

function record(ctx: RequestContext, decision: AdmissionDecision): void {
  Object.assign(ctx.audit.annotations, decision.annotations);
  for (const warning of decision.warnings) addWarning(ctx.res, warning);
}

function enforce(ctx: RequestContext, route: ResourceRoute, name: string, decision: AdmissionDecision): void {
  record(ctx, decision);
  if (!decision.allowed) throw new AdmissionForbiddenError(groupResource(route), name, decision.violation ?? 'refused by admission');
}

function objectName(obj: KubeObject): string {
  return obj.metadata.name || (obj.metadata as { generateName?: string }).generateName || '';
}

/**
 * Admit a create (no `existing`) or an update of the main resource. Status writes change no spec and
 * are not admitted here (only admin tokens may make them: auth.ts).
 */
export function admitWrite(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps, obj: KubeObject, existing?: KubeObject): void {
  if (route.subresource === 'status') return;
  const requester = requesterOf(ctx);
  const namespace = obj.metadata.namespace ?? '';
  const name = objectName(obj);
  if (obj.kind === 'Pod') {
    enforce(ctx, route, name, deps.podSecurity.admitPod({ requester, namespace, pod: obj as Pod, ...(existing ? { old: existing as Pod } : {}) }));
  } else if (POD_TEMPLATE_KINDS.has(obj.kind)) {
    const template = obj.kind === 'CronJob' ? (obj as CronJob).spec.jobTemplate.spec.template : (obj as Deployment | ReplicaSet | DaemonSet | StatefulSet | Job).spec.template;
    enforce(ctx, route, name, deps.podSecurity.admitTemplate({ requester, namespace, template }));
  } else if (obj.kind === 'Namespace') {
    enforce(ctx, route, name, deps.podSecurity.admitNamespace({ requester, namespace: obj as Namespace, ...(existing ? { old: existing as Namespace } : {}) }));
  } else if (obj.kind === 'Event' && !requester.admin) {
    const component = claimedComponent(obj as Event);
    if (component !== undefined) {
      throw new AdmissionForbiddenError(
        groupResource(route),
        name,
        `token "${requester.name}" cannot ${existing ? 'update' : 'create'} events as "${component}": that source names one of the cluster's components, which only they and admin tokens may report as`,
      );
    }
  }
}
