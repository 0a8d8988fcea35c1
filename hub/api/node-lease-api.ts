/**
 * `coordination.k8s.io/v1` Leases in `kube-node-lease`: one per Node, built on every read from the
 * hub's in-memory node leases (hub/leases: renewed by every heartbeat), never stored. The kubelet
 * writes a Lease object every 10 s; a hub of 10,000 nodes would write 1,000 objects a second for
 * nothing but a timestamp, so here a heartbeat stays a memory write and the Lease is its view:
 * `holderIdentity` the node's name, `renewTime` the last time the node was heard from,
 * `leaseDurationSeconds` 40 (the kubelet's), owned by the Node (as the kubelet sets it).
 *
 * get, list and watch (a watch polls the leases every `pollMs` and sends MODIFIED for each renewal,
 * ADDED and DELETED as Nodes come and go, BOOKMARKs when asked); writes are refused (403): the hub
 * keeps these. Leases in any other namespace are ordinary stored objects (resources.ts).
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { KubeObject } from '../../protocol/objects/meta.js';
import type { Node } from '../../protocol/objects/node.js';
import { NODE_LEASE_DURATION_SECONDS, NODE_LEASE_NAMESPACE, type Lease } from '../../protocol/objects/lease.js';
import type { NodeLease } from '../leases/node-leases.js';
import type { Verb } from './auth.js';
import type { ApiDeps, Reply, RequestContext } from './context.js';
import type { ResourceRoute } from './router.js';
import { equalityFields, matchesSelectors, parseSelectors } from './selectors.js';
import { pageOf, parseLimit } from './list-pages.js';
import { apiErrors } from './status.js';
import { bookmarkLine, checkListVersion, watchOptionsOf } from './watch-semantics.js';

/** How often a node lease watch looks for renewals (the kubelet renews every 10 s). */
export const NODE_LEASE_POLL_MS = 10_000;

export function isNodeLeaseRoute(route: ResourceRoute): boolean {
  return route.info.kind === 'Lease' && route.namespace === NODE_LEASE_NAMESPACE;
}

/** `kubectl get leases -A`: a list across namespaces, which holds the node Leases too. */
export function isAllNamespacesLeaseList(route: ResourceRoute, verb: Verb): boolean {
  return route.info.kind === 'Lease' && route.namespace === undefined && verb === 'list';
}

/** The stored Leases of every namespace and the node Leases, in namespace/name order, paged as any list. */
export async function listAllLeases(ctx: RequestContext, deps: ApiDeps): Promise<Reply> {
  const params = ctx.url.searchParams;
  const selectors = parseSelectors(params);
  await checkListVersion(params, deps);
  const stored = await deps.store.list('Lease', { labelSelector: selectors.labels, fieldSelector: equalityFields(selectors.fields) });
  const revision = Math.max(stored.revision, deps.cache.revision());
  const items = [...stored.items.filter((o) => o.metadata.namespace !== NODE_LEASE_NAMESPACE), ...currentLeases(deps, revision)]
    .filter((o) => matchesSelectors(o as KubeObject, selectors))
    .sort((a, b) => {
      const na = a.metadata.namespace ?? '';
      const nb = b.metadata.namespace ?? '';
      return na !== nb ? (na < nb ? -1 : 1) : a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
    }) as KubeObject[];
  const page = pageOf(items, parseLimit(params.get('limit')), params.get('continue'), revision);
  return {
    code: 200,
    body: {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'LeaseList',
      metadata: { resourceVersion: String(page.resourceVersion), ...(page.continue ? { continue: page.continue, remainingItemCount: page.remainingItemCount } : {}) },
      items: page.items,
    },
  };
}

/** Kubernetes' MicroTime: RFC 3339 with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A stable uid for the Lease of a Node (derived from the Node's uid, uuid-shaped). */
function leaseUid(node: Node): string {
  const h = createHash('sha256').update(`lease/${node.metadata.uid ?? node.metadata.name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The Lease of one Node as of now; `resourceVersion` is the revision it is served at. */
export function nodeLeaseObject(node: Node, lease: NodeLease | undefined, resourceVersion: number): Lease {
  const name = node.metadata.name;
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace: NODE_LEASE_NAMESPACE,
      uid: leaseUid(node),
      resourceVersion: String(resourceVersion),
      ...(node.metadata.creationTimestamp ? { creationTimestamp: node.metadata.creationTimestamp } : {}),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid ?? '' }],
    },
    spec: {
      holderIdentity: name,
      leaseDurationSeconds: NODE_LEASE_DURATION_SECONDS,
      // a lease seeded at hub start (the node not heard from since) has no renewal to show
      ...(lease && !lease.seeded ? { renewTime: microTime(lease.renewTime) } : {}),
    },
  } as Lease;
}

function currentLeases(deps: ApiDeps, revision: number): Lease[] {
  return deps.cache
    .kind<Node>('Node')
    .list()
    .map((n) => nodeLeaseObject(n, deps.leases?.get(n.metadata.name), revision));
}

/** get, list and watch of kube-node-lease; `verb` is already authorized. */
export async function handleNodeLeases(ctx: RequestContext, route: ResourceRoute, deps: ApiDeps, verb: Verb): Promise<Reply> {
  if (verb !== 'get' && verb !== 'list' && verb !== 'watch') {
    throw apiErrors.forbidden(
      `leases in namespace "${NODE_LEASE_NAMESPACE}" are the hub's node heartbeats: they are read-only (${verb} refused); use another namespace for your own Leases`,
      { kind: 'leases', group: 'coordination.k8s.io', ...(route.name ? { name: route.name } : {}) },
    );
  }
  if (route.subresource) throw apiErrors.notFound('leases', route.name ?? '', 'coordination.k8s.io');
  const revision = deps.cache.revision();
  if (verb === 'get') {
    const node = deps.cache.kind<Node>('Node').get('', route.name!);
    if (!node) throw apiErrors.notFound('leases', route.name!, 'coordination.k8s.io');
    return { code: 200, body: nodeLeaseObject(node, deps.leases?.get(node.metadata.name), revision) };
  }
  const selectors = parseSelectors(ctx.url.searchParams);
  const items = currentLeases(deps, revision).filter((l) => matchesSelectors(l as KubeObject, selectors));
  if (verb === 'list') {
    return { code: 200, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'LeaseList', metadata: { resourceVersion: String(revision) }, items } };
  }
  return watchNodeLeases(ctx, deps, items, selectors);
}

function watchNodeLeases(ctx: RequestContext, deps: ApiDeps, initial: Lease[], selectors: ReturnType<typeof parseSelectors>): Reply {
  const { res, req } = ctx;
  const options = watchOptionsOf(ctx.url.searchParams);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
  res.flushHeaders();
  const line = (type: string, object: unknown): string => `${JSON.stringify({ type, object })}\n`;
  const known = new Map<string, Lease>();
  for (const lease of initial) known.set(lease.metadata.name, lease);
  // A watch from a resourceVersion already has the objects; without one (or with sendInitialEvents) they come first.
  if (options.sendInitialEvents) for (const lease of initial) write(res, line('ADDED', lease));
  if (options.sendInitialEvents && options.allowBookmarks && options.initialEventsEndBookmark) {
    write(res, bookmarkLine('coordination.k8s.io/v1', 'Lease', deps.cache.revision(), true));
  }
  const poll = setInterval(() => {
    const revision = deps.cache.revision();
    const now = new Map(currentLeases(deps, revision).filter((l) => matchesSelectors(l as KubeObject, selectors)).map((l) => [l.metadata.name, l]));
    for (const [name, lease] of now) {
      if (!known.has(name)) write(res, line('ADDED', lease));
      else if (known.get(name)!.spec?.renewTime !== lease.spec?.renewTime) write(res, line('MODIFIED', lease));
      known.set(name, lease);
    }
    for (const [name, lease] of [...known]) {
      if (now.has(name)) continue;
      known.delete(name);
      write(res, line('DELETED', { ...lease, metadata: { ...lease.metadata, resourceVersion: String(revision) } }));
    }
    if (options.allowBookmarks) write(res, bookmarkLine('coordination.k8s.io/v1', 'Lease', revision, false));
  }, deps.nodeLeasePollMs ?? NODE_LEASE_POLL_MS);
  const timeout = options.timeoutSeconds !== undefined ? setTimeout(() => stream.end(), options.timeoutSeconds * 1000) : undefined;
  const stream = {
    end(): void {
      clearInterval(poll);
      if (timeout) clearTimeout(timeout);
      deps.activeStreams.delete(stream);
      if (!res.writableEnded) res.end();
    },
  };
  deps.activeStreams.add(stream);
  req.on('close', () => stream.end());
  res.on('close', () => stream.end());
  return { handled: true };
}

/** A lease watch carries a few hundred bytes per node per poll: a client this far behind is dropped. */
function write(res: ServerResponse, text: string): void {
  if (res.writableEnded) return;
  if (res.writableLength > 4 * 1024 * 1024) {
    res.destroy();
    return;
  }
  res.write(text);
}
