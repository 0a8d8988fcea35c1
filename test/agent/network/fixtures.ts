/** Network sets for the service proxy and cluster DNS tests. */
import type { NetworkEndpoint, NetworkService, NetworkSetMessage } from '../../../protocol/messages.js';

export function endpoint(ip: string, extra: Partial<NetworkEndpoint> = {}): NetworkEndpoint {
  return { ip, ready: true, terminating: false, ...extra };
}

export function service(name: string, extra: Partial<NetworkService> = {}): NetworkService {
  return {
    namespace: 'default',
    name,
    type: 'ClusterIP',
    clusterIP: '10.43.0.10',
    sessionAffinity: 'None',
    ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
    endpoints: [],
    ...extra,
  };
}

export function networkSet(services: NetworkService[], extra: Partial<NetworkSetMessage> = {}): NetworkSetMessage {
  return {
    v: 1,
    type: 'networkSet',
    sentAt: new Date(0).toISOString(),
    node: 'node-a',
    generation: 7,
    podCIDR: '10.42.0.0/24',
    clusterCIDR: '10.42.0.0/16',
    serviceCIDR: '10.43.0.0/16',
    clusterDomain: 'cluster.local',
    mtu: 1450,
    peers: [],
    services,
    ...extra,
  };
}
