/**
 * Building the network data from the cluster; pure, for tests: a node's own part (nodeNetwork), the
 * overlay peers and the Services the cluster topics share, and a whole set (networkSet, what the agent
 * puts together and runs; also the form hubs before the cluster topics sent).
 */
import type { ClusterNetwork } from '../../protocol/cluster-network.js';
import { overlayMTU } from '../../protocol/cluster-network.js';
import type { NetworkPeer, NetworkService, NetworkServiceScope, NetworkSetMessage, NodeNetworkMessage } from '../../protocol/messages.js';
import type { EndpointSlice } from '../../protocol/objects/endpoint-slice.js';
import type { Node } from '../../protocol/objects/node.js';
import type { Service } from '../../protocol/objects/service.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { ANNOTATION_VTEP_MAC, LABEL_SERVICE_NAME } from '../../protocol/well-known.js';

/** A node's underlay address: its first InternalIP. */
export function nodeIPOf(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

/** A node as the overlay's peers see it; undefined until it has a pod CIDR and an address. */
export function overlayPeer(node: Node): NetworkPeer | undefined {
  const podCIDR = node.spec?.podCIDR;
  const nodeIP = nodeIPOf(node);
  if (!podCIDR || !nodeIP) return undefined;
  const vtepMAC = node.metadata.annotations?.[ANNOTATION_VTEP_MAC];
  return { node: node.metadata.name, podCIDR, nodeIP, ...(vtepMAC ? { vtepMAC } : {}) };
}

/** Every node with a pod CIDR and an address, as the overlay's peers see it. */
export function overlayPeers(nodes: readonly Node[]): NetworkPeer[] {
  const peers: NetworkPeer[] = [];
  for (const node of nodes) {
    const peer = overlayPeer(node);
    if (peer) peers.push(peer);
  }
  return peers.sort((a, b) => (a.node < b.node ? -1 : 1));
}

/** The Services a node programs: all when it runs pods (they may call any), else those with node ports (it must answer them). */
export function servicesInScope<T extends { type: NetworkService['type'] }>(services: readonly T[], scope: NetworkServiceScope): T[] {
  return scope === 'all' ? [...services] : services.filter((s) => s.type !== 'ClusterIP');
}

/** The node's own part of its network set (protocol nodeNetworkMessageSchema); peers and Services come from the cluster topics. */
/** What a node's set says of the node itself: the same in the whole set and in the node's own part. */
function ownFields(node: Node, network: ClusterNetwork, generation: number) {
  return {
    node: node.metadata.name,
    generation,
    ...(node.spec?.podCIDR ? { podCIDR: node.spec.podCIDR } : {}),
    clusterCIDR: network.clusterCIDR,
    serviceCIDR: network.serviceCIDR,
    clusterDomain: network.clusterDomain,
    mtu: overlayMTU(network),
  };
}

export function buildNodeNetwork(opts: { node: Node; runsPods: boolean; network: ClusterNetwork; generation: number; clock: () => number }): NodeNetworkMessage {
  const { node, network } = opts;
  return {
    v: 1,
    type: 'nodeNetwork',
    sentAt: preciseTimestamp(opts.clock()),
    ...ownFields(node, network, opts.generation),
    services: opts.runsPods ? 'all' : 'nodePorts',
  };
}

/** A Service as the proxy and DNS need it: its ports with their target ports, and its endpoints from its slices. */
export function networkService(service: Service, slices: readonly EndpointSlice[]): NetworkService | undefined {
  const clusterIP = service.spec.clusterIP;
  const headless = clusterIP === 'None';
  if (!headless && !clusterIP) return undefined; // not allocated yet
  const own = slices.filter((s) => s.metadata.labels?.[LABEL_SERVICE_NAME] === service.metadata.name);
  const seen = new Set<string>();
  const endpoints: NetworkService['endpoints'] = [];
  /** port name -> the target port the slices resolved it to (the first seen) */
  const resolved = new Map<string, number>();
  for (const slice of own) {
    for (const p of slice.ports ?? []) if (p.port !== undefined && !resolved.has(p.name ?? '')) resolved.set(p.name ?? '', p.port);
    for (const e of slice.endpoints) {
      const ip = e.addresses[0]!;
      if (seen.has(ip)) continue;
      seen.add(ip);
      endpoints.push({
        ip,
        ...(e.nodeName ? { node: e.nodeName } : {}),
        ready: e.conditions?.ready ?? true,
        terminating: e.conditions?.terminating ?? false,
        ...(e.hostname ? { hostname: e.hostname } : {}),
        ...(e.targetRef?.name ? { podName: e.targetRef.name } : {}),
      });
    }
  }
  const ports = (service.spec.ports ?? []).map((p) => {
    const target = typeof p.targetPort === 'number' ? p.targetPort : (resolved.get(p.name ?? '') ?? p.port);
    return {
      ...(p.name ? { name: p.name } : {}),
      protocol: p.protocol ?? 'TCP',
      port: p.port,
      targetPort: target,
      ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
    } as NetworkService['ports'][number];
  });
  const type = service.spec.type ?? 'ClusterIP';
  return {
    namespace: service.metadata.namespace ?? 'default',
    name: service.metadata.name,
    type: type as NetworkService['type'],
    ...(headless ? {} : { clusterIP: clusterIP! }),
    ports,
    sessionAffinity: service.spec.sessionAffinity ?? 'None',
    ...(service.spec.sessionAffinity === 'ClientIP' ? { affinityTimeoutSeconds: service.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10_800 } : {}),
    endpoints: endpoints.sort((a, b) => (a.ip < b.ip ? -1 : 1)),
  };
}

/**
 * The set for `node`: its own pod CIDR, every other node as a peer, and the Services it needs: all of
 * them when it runs pods (they may call any Service), only the NodePort and LoadBalancer ones when it
 * runs none (it must still answer their nodePorts).
 */
export function buildNetworkSet(opts: {
  node: Node;
  peers: readonly NetworkPeer[];
  services: readonly NetworkService[];
  runsPods: boolean;
  network: ClusterNetwork;
  generation: number;
  clock: () => number;
}): NetworkSetMessage {
  const { node, network } = opts;
  const name = node.metadata.name;
  return {
    v: 1,
    type: 'networkSet',
    sentAt: preciseTimestamp(opts.clock()),
    ...ownFields(node, network, opts.generation),
    peers: opts.peers.filter((p) => p.node !== name),
    services: servicesInScope(opts.services, opts.runsPods ? 'all' : 'nodePorts'),
  };
}
