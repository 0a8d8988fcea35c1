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
  /** Blocks given out by this controller and maybe not in the cache yet. */
  const given = new Map<number, string>();

  /** Index of each block held by a Node (its own podCIDR inside the cluster CIDR). */
  function taken(): Map<number, string> {
    const used = new Map<number, string>(given);
    for (const node of nodes.list()) {
      const cidr = node.spec?.podCIDR;
      if (!cidr) continue;
      try {
        const c = parseCidr(cidr);
        if (c.prefix === mask && cidrContains(cluster, c.base)) used.set((c.base - cluster.base) / 2 ** (32 - mask), node.metadata.name);
      } catch (err) {
        logger.warn({ err, node: node.metadata.name, podCIDR: cidr }, 'node has a pod CIDR that does not parse');
      }
    }
    return used;
  }

  async function reconcile(name: string): Promise<void> {
    const node = nodes.get('', name);
    // forget what we gave to nodes that are gone or whose CIDR the cache now shows
    for (const [index, holder] of given) if (!nodes.get('', holder) || nodes.get('', holder)?.spec?.podCIDR) given.delete(index);
    if (!node || node.spec?.podCIDR) return;
    const used = taken();
    let index = -1;
    for (let i = 0; i < blocks; i++) {
      if (!used.has(i)) {
        index = i;
        break;
      }
    }
    const ref = { apiVersion: 'v1', kind: 'Node', name, ...(node.metadata.uid ? { uid: node.metadata.uid } : {}) };
    if (index < 0) {
      logger.warn({ node: name, clusterCIDR: opts.network.clusterCIDR }, 'no pod CIDR left for a node');
      void events.record(ref, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable (the cluster CIDR ${opts.network.clusterCIDR} has no free /${mask})`, { component: NODE_IPAM_CONTROLLER });
      return;
    }
    const podCIDR = formatCidr(subnet(cluster, mask, index));
    given.set(index, name);
    const result = await updateWithRetry<Node>(store, { kind: 'Node', namespace: '', name }, (current) =>
      current.spec?.podCIDR ? undefined : { ...current, spec: { ...current.spec, podCIDR, podCIDRs: [podCIDR] } },
    );
    if (result.outcome === 'updated') {
      logger.info({ node: name, podCIDR }, 'pod CIDR assigned');
      void events.record(ref, 'Normal', 'CIDRAssignmentSucceeded', `Node ${name} got pod CIDR ${podCIDR}`, { component: NODE_IPAM_CONTROLLER });
    } else {
      given.delete(index);
    }
  }

  const loop = createReconcileLoop({
    name: NODE_IPAM_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    listKeys: async () => nodes.list().filter((n) => !n.spec?.podCIDR).map((n) => n.metadata.name),
  });

  return loopController(loop, logger, () => [
    nodes.subscribe((e) => {
      if (e.type !== 'DELETED' && !e.object.spec?.podCIDR) loop.enqueue(e.object.metadata.name);
    }),
  ]);
}
