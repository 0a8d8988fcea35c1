/**
 * Node IPAM (Kubernetes' node-ipam-controller with the range allocator): every Node gets a pod CIDR
 * from the cluster CIDR, one block of `nodeCIDRMaskSize` bits, in spec.podCIDR and spec.podCIDRs. A
 * block is taken while a Node holds it and free again once the Node is deleted; a Node keeps its block
 * for its whole life (it is in the Node object, so hub restarts change nothing). The lowest free block
 * is given first. When none is left the Node gets none and a CIDRNotAvailable event says why.
 */
import type { Node } from '../../../protocol/objects/node.js';
import { cidrContains, formatCidr, parseCidr, subnet, subnetCount } from '../../../protocol/ipv4.js';
import { checkClusterNetwork, type ClusterNetwork } from '../../../protocol/cluster-network.js';
import { updateWithRetry } from '../../store/update-with-retry.js';
import type { Controller, ControllerOptions } from '../controller.js';
import { createReconcileLoop, loopController } from '../reconcile-loop.js';

export const NODE_IPAM_CONTROLLER = 'node-ipam-controller';

export interface NodeIpamOptions extends ControllerOptions {
  network: ClusterNetwork;
  resyncMs?: number;
}

export async function createNodeIpamController(opts: NodeIpamOptions): Promise<Controller> {
  const { store, cache, events } = opts;
  const logger = opts.logger.child({ controller: 'node-ipam' });
  const { cluster } = checkClusterNetwork(opts.network);
  const mask = opts.network.nodeCIDRMaskSize;
  const blocks = subnetCount(cluster, mask);
  const nodes = cache.kind<Node>('Node');
  /** Block index -> the node holding it: from the cache (kept up to date by its events) and from what this controller gave. */
  const used = new Map<number, string>();
  /** Node -> its block index, to free it when the node goes or changes. */
  const blockOf = new Map<string, number>();
  /**
   * Nodes told there is no block left, with the count of blocks freed at that time: they are tried
   * again only once a block is freed (a full cluster CIDR costs nothing per node event, and each node
   * gets one warning and one event, not one per status write).
   */
  const waiting = new Map<string, number>();
  let freed = 0;

  function indexOf(node: Node): number | undefined {
    const cidr = node.spec?.podCIDR;
    if (!cidr) return undefined;
    try {
      const c = parseCidr(cidr);
      return c.prefix === mask && cidrContains(cluster, c.base) ? (c.base - cluster.base) / 2 ** (32 - mask) : undefined;
    } catch (err) {
      logger.warn({ err, node: node.metadata.name, podCIDR: cidr }, 'node has a pod CIDR that does not parse');
      return undefined;
    }
  }

  function release(name: string): void {
    const index = blockOf.get(name);
    if (index === undefined) return;
    blockOf.delete(name);
    if (used.get(index) === name) {
      used.delete(index);
      freed++;
    }
  }

  function hold(name: string, index: number): void {
    if (blockOf.get(name) !== index) release(name);
    used.set(index, name);
    blockOf.set(name, index);
  }

  /** The cache's view of one node (its event, or the first list). */
  function observe(node: Node | undefined, name: string): void {
    const index = node ? indexOf(node) : undefined;
    if (index !== undefined) hold(name, index);
    // gone, or holding a CIDR outside the cluster's: no block of ours (a node without one yet keeps what we just gave it)
    else if (!node || node.spec?.podCIDR) release(name);
  }

  function lowestFree(): number {
    for (let i = 0; i < blocks; i++) if (!used.has(i)) return i;
    return -1;
  }

  async function reconcile(name: string): Promise<void> {
    const node = nodes.get('', name);
    if (!node || node.spec?.podCIDR) {
      waiting.delete(name);
      return;
    }
    if (blockOf.has(name)) return; // given, the cache will show it
    if (waiting.get(name) === freed) return; // still no block freed since it was told
    const index = lowestFree();
    const ref = { apiVersion: 'v1', kind: 'Node', name, ...(node.metadata.uid ? { uid: node.metadata.uid } : {}) };
    if (index < 0) {
      if (!waiting.has(name)) {
        logger.warn({ node: name, clusterCIDR: opts.network.clusterCIDR, waiting: waiting.size + 1 }, 'no pod CIDR left for a node');
        void events.record(ref, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable (the cluster CIDR ${opts.network.clusterCIDR} has no free /${mask})`, { component: NODE_IPAM_CONTROLLER });
      }
      waiting.set(name, freed);
      return;
    }
    waiting.delete(name);
    const podCIDR = formatCidr(subnet(cluster, mask, index));
    hold(name, index);
    const result = await updateWithRetry<Node>(store, { kind: 'Node', namespace: '', name }, (current) =>
      current.spec?.podCIDR ? undefined : { ...current, spec: { ...current.spec, podCIDR, podCIDRs: [podCIDR] } },
    );
    if (result.outcome === 'updated') {
      logger.info({ node: name, podCIDR }, 'pod CIDR assigned');
      void events.record(ref, 'Normal', 'CIDRAssignmentSucceeded', `Node ${name} got pod CIDR ${podCIDR}`, { component: NODE_IPAM_CONTROLLER });
    } else {
      release(name);
      observe(nodes.get('', name), name);
    }
  }

  const loop = createReconcileLoop({
    name: NODE_IPAM_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    listKeys: async () => nodes.list().filter((n) => !n.spec?.podCIDR).map((n) => n.metadata.name),
  });

  return loopController(loop, logger, () => {
    for (const node of nodes.list()) observe(node, node.metadata.name);
    return [
      nodes.subscribe((e) => {
        const name = e.object.metadata.name;
        const before = freed;
        observe(e.type === 'DELETED' ? undefined : e.object, name);
        if (e.type === 'DELETED') waiting.delete(name);
        else if (!e.object.spec?.podCIDR) loop.enqueue(name);
        // a block came free: the nodes waiting for one try again
        if (freed !== before) for (const w of waiting.keys()) loop.enqueue(w);
      }),
    ];
  });
}
