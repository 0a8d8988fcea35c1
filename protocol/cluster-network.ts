/**
 * The cluster's address plan, as K3s sets it by default: pods from 10.42.0.0/16 (one /24 per node),
 * Services from 10.43.0.0/16, NodePorts 30000-32767, the DNS domain cluster.local. The hub owns it
 * (`drover hub --cluster-cidr ... --service-cidr ...`) and tells each node what it needs.
 */
import { CidrError, cidrsOverlap, parseCidr, type Cidr } from './ipv4.js';

export interface ClusterNetwork {
  clusterCIDR: string;
  /** The prefix length of each node's pod CIDR (24: 254 pods a node). */
  nodeCIDRMaskSize: number;
  serviceCIDR: string;
  nodePortRange: { min: number; max: number };
  clusterDomain: string;
  /** The underlay's MTU; the overlay's is 50 bytes less (VXLAN over UDP over IPv4). */
  underlayMTU: number;
}

export const DEFAULT_CLUSTER_NETWORK: ClusterNetwork = {
  clusterCIDR: '10.42.0.0/16',
  nodeCIDRMaskSize: 24,
  serviceCIDR: '10.43.0.0/16',
  nodePortRange: { min: 30000, max: 32767 },
  clusterDomain: 'cluster.local',
  underlayMTU: 1500,
};

/** VXLAN's own headers: outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD = 50;

export function overlayMTU(net: ClusterNetwork): number {
  return net.underlayMTU - VXLAN_OVERHEAD;
}

/** Check a plan; throws CidrError naming the setting that is wrong. */
export function checkClusterNetwork(net: ClusterNetwork): { cluster: Cidr; services: Cidr } {
  const cluster = parseCidr(net.clusterCIDR);
  const services = parseCidr(net.serviceCIDR);
  if (!Number.isInteger(net.nodeCIDRMaskSize) || net.nodeCIDRMaskSize < cluster.prefix || net.nodeCIDRMaskSize > 30) {
    throw new CidrError(`node CIDR mask size ${net.nodeCIDRMaskSize} must be between the cluster CIDR's /${cluster.prefix} and /30`);
  }
  if (cidrsOverlap(cluster, services)) throw new CidrError(`the cluster CIDR ${net.clusterCIDR} and the service CIDR ${net.serviceCIDR} overlap`);
  if (services.prefix > 28) throw new CidrError(`the service CIDR ${net.serviceCIDR} is too small (at most /28)`);
  const { min, max } = net.nodePortRange;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
    throw new CidrError(`the NodePort range ${min}-${max} is not a range of ports`);
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(net.clusterDomain)) {
    throw new CidrError(`the cluster domain "${net.clusterDomain}" is not a DNS name`);
  }
  return { cluster, services };
}
