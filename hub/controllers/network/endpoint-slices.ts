/**
 * The EndpointSlice controller (Kubernetes' endpointslice-controller): for every Service with a
 * selector, EndpointSlices (discovery.k8s.io/v1) listing the pods it selects that have an IP:
 * conditions.ready when the pod is Ready and not terminating (readiness probes decide; with
 * publishNotReadyAddresses every pod is ready), serving as the pod's readiness, terminating while it
 * is being deleted (so the proxy drains it: no new connections). Ports are the Service's with each
 * targetPort resolved for the pod (a named one through its containers' ports); pods that resolve them
 * alike share slices, at most 100 endpoints a slice. Slices carry kubernetes.io/service-name and
 * endpointslice.kubernetes.io/managed-by and are owned by their Service, so they go with it.
 *
 * A Service whose endpoints go from some ready to none (or that has never had any) gets one Warning
 * event, NoReadyEndpoints, naming its selector and how many pods it matches.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Endpoint, EndpointPort, EndpointSlice } from '../../../protocol/objects/endpoint-slice.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import type { Service } from '../../../protocol/objects/service.js';
import { matchesSelector, selectorToString } from '../../../protocol/labels.js';
import { isTerminal } from '../../../protocol/pod-helpers.js';
import { ENDPOINTSLICE_CONTROLLER_NAME, LABEL_ENDPOINTSLICE_MANAGED_BY, LABEL_SERVICE_NAME } from '../../../protocol/well-known.js';
import { AlreadyExistsError, NotFoundError } from '../../store/errors.js';
import type { Controller, ControllerOptions } from '../controller.js';
import { isPodReady } from '../pod-state.js';
import { createReconcileLoop, loopController, objectKey, splitObjectKey } from '../reconcile-loop.js';

export const ENDPOINTSLICE_CONTROLLER = 'endpointslice-controller';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface EndpointSliceControllerOptions extends ControllerOptions {
  resyncMs?: number;
  maxEndpointsPerSlice?: number;
}

/** The port a pod serves a Service port on: a number, or a named container port; undefined when it has none. */
export function resolveTargetPort(pod: Pod, target: number | string | undefined, fallback: number): number | undefined {
  if (target === undefined) return fallback;
  if (typeof target === 'number') return target;
  for (const c of pod.spec.containers) for (const p of c.ports ?? []) if (p.name === target) return p.containerPort;
  return undefined;
}

/** The endpoint of one pod (undefined when it has no IP or has finished). */
export function endpointOf(pod: Pod, service: Service): Endpoint | undefined {
  const ip = pod.status?.podIP;
  if (!ip || isTerminal(pod)) return undefined;
  const terminating = Boolean(pod.metadata.deletionTimestamp);
  const serving = service.spec.publishNotReadyAddresses === true || isPodReady(pod);
  const hostname = pod.spec.subdomain === service.metadata.name && service.spec.clusterIP === 'None' ? (pod.spec.hostname ?? pod.metadata.name) : undefined;
  return {
    addresses: [ip],
    conditions: { ready: serving && !terminating, serving, terminating },
    ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    ...(hostname ? { hostname } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? 'default', name: pod.metadata.name, ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) },
  };
}

/** The slices a Service should have, by name, from the pods it selects. Pure. */
export function desiredSlices(service: Service, pods: readonly Pod[], maxPerSlice = MAX_ENDPOINTS_PER_SLICE): Map<string, EndpointSlice> {
  const namespace = service.metadata.namespace ?? 'default';
  const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
  for (const pod of [...pods].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const endpoint = endpointOf(pod, service);
    if (!endpoint) continue;
    const ports: EndpointPort[] = [];
    for (const p of service.spec.ports ?? []) {
      const port = resolveTargetPort(pod, p.targetPort, p.port);
      if (port !== undefined) ports.push({ ...(p.name ? { name: p.name } : { name: '' }), protocol: p.protocol ?? 'TCP', port });
    }
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(endpoint);
  }
  const slices = new Map<string, EndpointSlice>();
  const owner = { apiVersion: 'v1', kind: 'Service', name: service.metadata.name, uid: service.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
  const make = (name: string, ports: EndpointPort[], endpoints: Endpoint[]): EndpointSlice => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace,
      labels: { [LABEL_SERVICE_NAME]: service.metadata.name, [LABEL_ENDPOINTSLICE_MANAGED_BY]: ENDPOINTSLICE_CONTROLLER_NAME },
      ownerReferences: [owner],
    },
    addressType: 'IPv4',
    endpoints,
    ports,
  });
  for (const [key, g] of groups) {
    const hash = createHash('sha256').update(key).digest('hex').slice(0, 8);
    for (let i = 0; i * maxPerSlice < g.endpoints.length; i++) {
      const name = `${service.metadata.name.slice(0, 240)}-${hash}${i > 0 ? `-${i}` : ''}`;
      slices.set(name, make(name, g.ports, g.endpoints.slice(i * maxPerSlice, (i + 1) * maxPerSlice)));
    }
  }
  // A Service with no endpoints still has one (empty) slice, as Kubernetes keeps one
  if (slices.size === 0) {
    const name = `${service.metadata.name.slice(0, 240)}-empty`;
    slices.set(name, make(name, (service.spec.ports ?? []).map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP' })), []));
  }
  return slices;
}

/** The Services (of the pod's namespace) whose selector picks the pod, before or after its change. */
export function servicesSelecting(services: readonly Service[], pod: Pod, old: Pod | undefined): Service[] {
  return services.filter((s) => {
    if (!s.spec.selector) return false;
    const selector = { matchLabels: s.spec.selector };
    return matchesSelector(pod.metadata.labels, selector) || (old !== undefined && matchesSelector(old.metadata.labels, selector));
  });
}

export async function createEndpointSliceController(opts: EndpointSliceControllerOptions): Promise<Controller> {
  const { store, cache, events } = opts;
  const logger = opts.logger.child({ controller: 'endpointslice' });
  const services = cache.kind<Service>('Service');
  const pods = cache.kind<Pod>('Pod');
  const slices = cache.kind<EndpointSlice>('EndpointSlice');
  /** Service uid -> whether it had ready endpoints at its last reconcile (for the NoReadyEndpoints event). */
  const hadReady = new Map<string, boolean>();

  async function reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const service = services.get(namespace, name);
    if (!service || service.metadata.deletionTimestamp || !service.spec.selector) return; // no selector: slices are the user's
    const selector = { matchLabels: service.spec.selector };
    const selected = pods.list({ namespace }).filter((p) => matchesSelector(p.metadata.labels, selector));
    const want = desiredSlices(service, selected, opts.maxEndpointsPerSlice);
    const have = slices.list({ namespace }).filter((s) => s.metadata.labels?.[LABEL_SERVICE_NAME] === name && s.metadata.labels?.[LABEL_ENDPOINTSLICE_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME);
    const writes: Promise<unknown>[] = [];
    for (const [sliceName, slice] of want) {
      const current = have.find((s) => s.metadata.name === sliceName);
      if (!current) {
        writes.push(store.create(slice).catch((err: unknown) => {
          if (!(err instanceof AlreadyExistsError)) throw err;
        }));
      } else if (!isDeepStrictEqual(current.endpoints, slice.endpoints) || !isDeepStrictEqual(current.ports, slice.ports)) {
        writes.push(store.update({ ...current, endpoints: slice.endpoints, ...(slice.ports ? { ports: slice.ports } : {}) }, { expectedResourceVersion: current.metadata.resourceVersion }));
      }
    }
    for (const old of have) {
      if (want.has(old.metadata.name)) continue;
      writes.push(store.delete({ kind: 'EndpointSlice', namespace, name: old.metadata.name }, { expectedResourceVersion: old.metadata.resourceVersion }).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      }));
    }
    await Promise.all(writes);

    const ready = [...want.values()].reduce((n, s) => n + s.endpoints.filter((e) => e.conditions?.ready).length, 0);
    const uid = service.metadata.uid ?? key;
    const before = hadReady.get(uid);
    hadReady.set(uid, ready > 0);
    if (ready === 0 && before !== false) {
      const ref = { apiVersion: 'v1', kind: 'Service', namespace, name, ...(service.metadata.uid ? { uid: service.metadata.uid } : {}) };
      void events.record(ref, 'Warning', 'NoReadyEndpoints', `Service ${namespace}/${name} has no ready endpoints: selector ${selectorToString(selector)} matches ${selected.length} pod(s), none ready`, {
        component: ENDPOINTSLICE_CONTROLLER,
      });
    }
    logger.debug({ service: key, slices: want.size, ready }, 'endpoint slices reconciled');
  }

  const loop = createReconcileLoop({
    name: ENDPOINTSLICE_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    listKeys: async () => services.list().map(objectKey),
  });


  return loopController(loop, logger, () => [
    services.subscribe((e) => {
      if (e.type === 'DELETED') hadReady.delete(e.object.metadata.uid ?? objectKey(e.object));
      else loop.enqueue(objectKey(e.object));
    }),
    pods.subscribe((e) => {
      for (const s of servicesSelecting(services.list({ namespace: e.object.metadata.namespace ?? 'default' }), e.object, e.old)) loop.enqueue(objectKey(s));
    }),
    slices.subscribe((e) => {
      const owner = e.object.metadata.labels?.[LABEL_SERVICE_NAME];
      // a slice changed by someone else is put back as the controller wants it
      if (owner && e.object.metadata.labels?.[LABEL_ENDPOINTSLICE_MANAGED_BY] === ENDPOINTSLICE_CONTROLLER_NAME) loop.enqueue(`${e.object.metadata.namespace ?? 'default'}/${owner}`);
    }),
  ]);
}
