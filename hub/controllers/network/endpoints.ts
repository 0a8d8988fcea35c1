/**
 * Two controllers for v1 Endpoints, as Kubernetes runs them:
 *
 * - the endpoints controller: for every Service with a selector, an Endpoints object of the same name
 *   listing the pods it selects that have an IP (ready ones in addresses, the others in
 *   notReadyAddresses, terminating ones left out unless publishNotReadyAddresses), one subset per set
 *   of resolved target ports, labelled endpointslice.kubernetes.io/skip-mirror so it is not mirrored;
 * - the EndpointSlice mirroring controller: Endpoints a user writes for a Service without a selector
 *   (an external database, a device outside the fleet) become EndpointSlices (managed-by
 *   endpointslicemirroring-controller.k8s.io, owned by the Endpoints), so the nodes' proxy and DNS,
 *   which read slices, route to them.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Endpoint, EndpointPort, EndpointSlice } from '../../../protocol/objects/endpoint-slice.js';
import type { EndpointAddress, Endpoints, EndpointSubset, EndpointsPort } from '../../../protocol/objects/endpoints.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import type { Service } from '../../../protocol/objects/service.js';
import { matchesSelector } from '../../../protocol/labels.js';
import { ENDPOINTSLICE_MIRRORING_CONTROLLER_NAME, LABEL_ENDPOINTSLICE_MANAGED_BY, LABEL_SERVICE_NAME, LABEL_SKIP_MIRROR } from '../../../protocol/well-known.js';
import { AlreadyExistsError, NotFoundError } from '../../store/errors.js';
import type { Store } from '../../store/store.js';
import type { Controller, ControllerOptions } from '../controller.js';
import { endpointOf, resolveTargetPort, servicesSelecting } from './endpoint-slices.js';
import { createReconcileLoop, loopController, objectKey, splitObjectKey } from '../reconcile-loop.js';

export const ENDPOINTS_CONTROLLER = 'endpoints-controller';
export const ENDPOINTSLICE_MIRRORING_CONTROLLER = 'endpointslice-mirroring-controller';

export interface EndpointsControllerOptions extends ControllerOptions {
  resyncMs?: number;
}

const byIP = (a: EndpointAddress, b: EndpointAddress): number => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);

/** The subsets of a Service's Endpoints from the pods it selects (Kubernetes' endpoints controller). Pure. */
export function desiredSubsets(service: Service, pods: readonly Pod[]): EndpointSubset[] {
  const groups = new Map<string, { ports: EndpointsPort[]; addresses: EndpointAddress[]; notReady: EndpointAddress[] }>();
  for (const pod of pods) {
    const endpoint = endpointOf(pod, service);
    if (!endpoint) continue;
    const publishNotReady = service.spec.publishNotReadyAddresses === true;
    if (endpoint.conditions?.terminating && !publishNotReady) continue;
    const ports: EndpointsPort[] = [];
    for (const p of service.spec.ports ?? []) {
      const port = resolveTargetPort(pod, p.targetPort, p.port);
      if (port !== undefined) ports.push({ ...(p.name ? { name: p.name } : {}), port, protocol: p.protocol ?? 'TCP' });
    }
    if ((service.spec.ports ?? []).length > 0 && ports.length === 0) continue; // serves none of the Service's ports
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, addresses: [], notReady: [] }));
    const address: EndpointAddress = {
      ip: endpoint.addresses[0]!,
      ...(endpoint.hostname ? { hostname: endpoint.hostname } : {}),
      ...(endpoint.nodeName ? { nodeName: endpoint.nodeName } : {}),
      ...(endpoint.targetRef ? { targetRef: endpoint.targetRef } : {}),
    };
    (endpoint.conditions?.ready || publishNotReady ? g.addresses : g.notReady).push(address);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([, g]) => ({
      ...(g.addresses.length ? { addresses: g.addresses.sort(byIP) } : {}),
      ...(g.notReady.length ? { notReadyAddresses: g.notReady.sort(byIP) } : {}),
      ...(g.ports.length ? { ports: g.ports } : {}),
    }));
}

/** The slices mirrored from a user's Endpoints: one per subset with addresses, named after the Service. Pure. */
export function mirroredSlices(endpoints: Endpoints): Map<string, EndpointSlice> {
  const namespace = endpoints.metadata.namespace ?? 'default';
  const name = endpoints.metadata.name;
  const owner = { apiVersion: 'v1', kind: 'Endpoints', name, uid: endpoints.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
  const slices = new Map<string, EndpointSlice>();
  for (const subset of endpoints.subsets ?? []) {
    const toEndpoint = (a: EndpointAddress, ready: boolean): Endpoint => ({
      addresses: [a.ip],
      conditions: { ready, serving: ready, terminating: false },
      ...(a.hostname ? { hostname: a.hostname } : {}),
      ...(a.nodeName ? { nodeName: a.nodeName } : {}),
      ...(a.targetRef ? { targetRef: a.targetRef } : {}),
    });
    const list = [...(subset.addresses ?? []).map((a) => toEndpoint(a, true)), ...(subset.notReadyAddresses ?? []).map((a) => toEndpoint(a, false))];
    if (list.length === 0) continue;
    const ports: EndpointPort[] = (subset.ports ?? []).map((p) => ({ name: p.name ?? '', protocol: p.protocol ?? 'TCP', port: p.port }));
    const hash = createHash('sha256').update(JSON.stringify(ports)).digest('hex').slice(0, 8);
    const sliceName = `${name.slice(0, 230)}-mirror-${hash}`;
    const existing = slices.get(sliceName);
    if (existing) {
      existing.endpoints.push(...list);
      continue;
    }
    slices.set(sliceName, {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: sliceName,
        namespace,
        labels: { [LABEL_SERVICE_NAME]: name, [LABEL_ENDPOINTSLICE_MANAGED_BY]: ENDPOINTSLICE_MIRRORING_CONTROLLER_NAME },
        ownerReferences: [owner],
      },
      addressType: 'IPv4',
      endpoints: list,
      ports,
    });
  }
  return slices;
}

const ignore = (cls: typeof NotFoundError | typeof AlreadyExistsError) => (err: unknown) => {
  if (!(err instanceof cls)) throw err;
};

/** Make the store's mirrored slices of one Service (`have`) what `want` says. */
async function syncSlices(store: Store, namespace: string, have: readonly EndpointSlice[], want: Map<string, EndpointSlice>): Promise<void> {
  const writes: Promise<unknown>[] = [];
  for (const [name, slice] of want) {
    const current = have.find((s) => s.metadata.name === name);
    if (!current) writes.push(store.create(slice).catch(ignore(AlreadyExistsError)));
    else if (!isDeepStrictEqual(current.endpoints, slice.endpoints) || !isDeepStrictEqual(current.ports, slice.ports) || !isDeepStrictEqual(current.metadata.ownerReferences, slice.metadata.ownerReferences)) {
      writes.push(store.update({ ...current, endpoints: slice.endpoints, ports: slice.ports ?? [], metadata: { ...current.metadata, ownerReferences: slice.metadata.ownerReferences } }, { expectedResourceVersion: current.metadata.resourceVersion }));
    }
  }
  for (const old of have) {
    if (want.has(old.metadata.name)) continue;
    writes.push(store.delete({ kind: 'EndpointSlice', namespace, name: old.metadata.name }, { expectedResourceVersion: old.metadata.resourceVersion }).catch(ignore(NotFoundError)));
  }
  await Promise.all(writes);
}

export async function createEndpointsController(opts: EndpointsControllerOptions): Promise<Controller> {
  const { store, cache } = opts;
  const logger = opts.logger.child({ controller: 'endpoints' });
  const services = cache.kind<Service>('Service');
  const pods = cache.kind<Pod>('Pod');
  const endpointsKind = cache.kind<Endpoints>('Endpoints');
  const slices = cache.kind<EndpointSlice>('EndpointSlice');

  /** The Endpoints the hub writes for a Service with a selector. */
  async function reconcileSelected(service: Service, namespace: string, name: string): Promise<void> {
    const selector = { matchLabels: service.spec.selector! };
    const selected = pods.list({ namespace }).filter((p) => matchesSelector(p.metadata.labels, selector));
    const subsets = desiredSubsets(service, selected);
    const labels = { ...(service.metadata.labels ?? {}), [LABEL_SKIP_MIRROR]: 'true' };
    const current = endpointsKind.get(namespace, name);
    if (!current) {
      const created: Endpoints = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels }, ...(subsets.length ? { subsets } : {}) };
      await store.create(created).catch(ignore(AlreadyExistsError));
    } else if (!isDeepStrictEqual(current.subsets ?? [], subsets) || !isDeepStrictEqual(current.metadata.labels ?? {}, labels)) {
      const { subsets: _old, ...rest } = current;
      await store.update({ ...rest, metadata: { ...current.metadata, labels }, ...(subsets.length ? { subsets } : {}) }, { expectedResourceVersion: current.metadata.resourceVersion });
    }
  }

  async function reconcile(key: string): Promise<void> {
    const { namespace, name } = splitObjectKey(key);
    const service = services.get(namespace, name);
    const endpoints = endpointsKind.get(namespace, name);
    const live = service && !service.metadata.deletionTimestamp ? service : undefined;
    if (live?.spec.selector) await reconcileSelected(live, namespace, name);
    else if (!service && endpoints?.metadata.labels?.[LABEL_SKIP_MIRROR] === 'true') {
      // the Service it was written for is gone: so is what the controller wrote for it
      await store.delete({ kind: 'Endpoints', namespace, name }, { expectedResourceVersion: endpoints.metadata.resourceVersion }).catch(ignore(NotFoundError));
    }
    // mirroring: a user's Endpoints for a Service without a selector
    const mirror = live && !live.spec.selector && endpoints && endpoints.metadata.labels?.[LABEL_SKIP_MIRROR] !== 'true' ? mirroredSlices(endpoints) : new Map<string, EndpointSlice>();
    const have = slices
      .list({ namespace })
      .filter((s) => s.metadata.labels?.[LABEL_SERVICE_NAME] === name && s.metadata.labels?.[LABEL_ENDPOINTSLICE_MANAGED_BY] === ENDPOINTSLICE_MIRRORING_CONTROLLER_NAME);
    if (mirror.size > 0 || have.length > 0) await syncSlices(store, namespace, have, mirror);
    logger.debug({ service: key, mirrored: mirror.size }, 'endpoints reconciled');
  }

  const loop = createReconcileLoop({
    name: ENDPOINTS_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    listKeys: async () => [...new Set([...services.list().map(objectKey), ...endpointsKind.list().map(objectKey)])],
  });

  return loopController(loop, logger, () => [
    services.subscribe((e) => loop.enqueue(objectKey(e.object))),
    endpointsKind.subscribe((e) => loop.enqueue(objectKey(e.object))),
    pods.subscribe((e) => {
      for (const s of servicesSelecting(services.list({ namespace: e.object.metadata.namespace ?? 'default' }), e.object, e.old)) loop.enqueue(objectKey(s));
    }),
    slices.subscribe((e) => {
      const owner = e.object.metadata.labels?.[LABEL_SERVICE_NAME];
      if (owner && e.object.metadata.labels?.[LABEL_ENDPOINTSLICE_MANAGED_BY] === ENDPOINTSLICE_MIRRORING_CONTROLLER_NAME) loop.enqueue(`${e.object.metadata.namespace ?? 'default'}/${owner}`);
    }),
  ]);
}
