/**
 * What the API server does to a Service before it is stored (Kubernetes' service registry and its
 * IP and port allocators): defaults (type ClusterIP, protocol TCP, targetPort = port, sessionAffinity
 * None, the ClientIP timeout 10800 s), a cluster IP from the service CIDR and a nodePort per port for
 * NodePort and LoadBalancer Services, and the checks Kubernetes makes, with its wording: an address or
 * port out of range or already allocated, a clusterIP changed on update, a nodePort on a ClusterIP
 * Service, ports without names when there are several.
 *
 * Allocations are made one at a time (`admit` is serialized) against every Service the informer cache
 * holds, so two Services never get the same address or port. The lowest free address above .1 (kept
 * for the API's own Service, as Kubernetes keeps it) and the lowest free port are given first.
 */
import type { ClusterNetwork } from '../../protocol/cluster-network.js';
import { checkClusterNetwork } from '../../protocol/cluster-network.js';
import { ServiceAdmissionError, type FieldProblem } from './errors.js';
import { cidrContains, cidrSize, ipToNumber, numberToIp } from '../../protocol/ipv4.js';
import type { Service, ServicePort } from '../../protocol/objects/service.js';
import type { ObjectCache } from '../cache/object-cache.js';

export const DEFAULT_AFFINITY_TIMEOUT_SECONDS = 10_800;

export interface ServiceRegistry {
  /**
   * Default, allocate and check `service` (against `existing` on an update), then `write` it; one
   * Service at a time from admission to a stored write, so allocations never collide. Throws
   * ServiceAdmissionError; whatever `write` throws.
   */
  admit<T>(service: Service, existing: Service | undefined, write: (admitted: Service) => Promise<T>): Promise<T>;
}

export function createServiceRegistry(opts: { cache: ObjectCache; network: ClusterNetwork }): ServiceRegistry {
  const { services } = checkClusterNetwork(opts.network);
  const { min, max } = opts.network.nodePortRange;
  const cached = opts.cache.kind<Service>('Service');
  let tail: Promise<unknown> = Promise.resolve();

  /** Addresses and ports held by every Service but `self`. */
  function inUse(self: Service): { ips: Set<string>; ports: Set<number> } {
    const ips = new Set<string>();
    const ports = new Set<number>();
    for (const s of cached.list()) {
      if ((s.metadata.namespace ?? '') === (self.metadata.namespace ?? '') && s.metadata.name === self.metadata.name) continue;
      const ip = s.spec.clusterIP;
      if (ip && ip !== 'None') ips.add(ip);
      for (const p of s.spec.ports ?? []) if (p.nodePort) ports.add(p.nodePort);
    }
    return { ips, ports };
  }

  function allocateIp(taken: Set<string>): string | undefined {
    // .0 is the network, .1 is kept (Kubernetes gives it to the API's own Service), the last is broadcast
    for (let i = 2; i < cidrSize(services) - 1; i++) {
      const ip = numberToIp((services.base + i) >>> 0);
      if (!taken.has(ip)) return ip;
    }
    return undefined;
  }

  function allocatePort(taken: Set<number>): number | undefined {
    for (let p = min; p <= max; p++) if (!taken.has(p)) return p;
    return undefined;
  }

  function admitNow(input: Service, existing: Service | undefined): Service {
    const problems: FieldProblem[] = [];
    const name = `${input.metadata.namespace ?? 'default'}/${input.metadata.name}`;
    const spec = { ...input.spec };
    const type = spec.type ?? 'ClusterIP';
    spec.type = type;
    const { ips, ports: nodePortsTaken } = inUse(input);

    // the cluster IP: immutable once set; allocated when empty; "None" = headless
    const before = existing?.spec.clusterIP;
    let clusterIP = spec.clusterIP === '' ? undefined : spec.clusterIP;
    if (existing && before) {
      if (clusterIP !== undefined && clusterIP !== before) problems.push({ field: 'spec.clusterIP', message: `Invalid value: "${clusterIP}": field is immutable` });
      clusterIP = before;
    }
    if (clusterIP === 'None') {
      if (type !== 'ClusterIP') problems.push({ field: 'spec.clusterIP', message: `Invalid value: "None": may not be set to 'None' for ${type} services` });
    } else if (clusterIP !== undefined && clusterIP !== before) {
      if (!cidrContains(services, ipToNumber(clusterIP))) {
        problems.push({ field: 'spec.clusterIP', message: `Invalid value: "${clusterIP}": provided IP is not in the valid range. The range of valid IPs is ${opts.network.serviceCIDR}` });
      } else if (ips.has(clusterIP)) {
        problems.push({ field: 'spec.clusterIP', message: `Invalid value: "${clusterIP}": provided IP is already allocated` });
      }
    } else if (clusterIP === undefined) {
      clusterIP = allocateIp(ips);
      if (!clusterIP) problems.push({ field: 'spec.clusterIP', message: `Internal error: no free IP left in the service CIDR ${opts.network.serviceCIDR}` });
    }
    if (clusterIP) {
      spec.clusterIP = clusterIP;
      spec.clusterIPs = [clusterIP];
    }
    const headless = clusterIP === 'None';

    // ports: defaults, names, duplicates, nodePorts
    const inputPorts = spec.ports ?? [];
    if (inputPorts.length === 0 && !headless) problems.push({ field: 'spec.ports', message: 'Required value' });
    const seen = new Set<string>();
    const names = new Set<string>();
    const wantNodePorts = type === 'NodePort' || type === 'LoadBalancer';
    const ownNodePorts = new Set<number>();
    const ports: ServicePort[] = inputPorts.map((p, i) => {
      const field = `spec.ports[${i}]`;
      const port: ServicePort = { ...p, protocol: p.protocol ?? 'TCP', targetPort: p.targetPort ?? p.port };
      if (inputPorts.length > 1 && !p.name) problems.push({ field: `${field}.name`, message: 'Required value' });
      if (p.name) {
        if (names.has(p.name)) problems.push({ field: `${field}.name`, message: `Duplicate value: "${p.name}"` });
        names.add(p.name);
      }
      const key = `${port.port}/${port.protocol}`;
      if (seen.has(key)) problems.push({ field: field, message: `Duplicate value: {"port":${port.port},"protocol":"${port.protocol}"}` });
      seen.add(key);
      if (!wantNodePorts) {
        if (p.nodePort !== undefined) problems.push({ field: `${field}.nodePort`, message: `Forbidden: may not be used when \`type\` is '${type}'` });
        delete port.nodePort;
        return port;
      }
      // keep the nodePort the port had (an apply that leaves it out keeps it)
      const kept = existing?.spec.ports?.find((e) => e.port === port.port && (e.protocol ?? 'TCP') === port.protocol)?.nodePort;
      let nodePort = p.nodePort ?? kept;
      if (nodePort !== undefined && nodePort !== kept) {
        if (nodePort < min || nodePort > max) {
          problems.push({ field: `${field}.nodePort`, message: `Invalid value: ${nodePort}: provided port is not in the valid range. The range of valid ports is ${min}-${max}` });
        } else if (nodePortsTaken.has(nodePort) || ownNodePorts.has(nodePort)) {
          problems.push({ field: `${field}.nodePort`, message: `Invalid value: ${nodePort}: provided port is already allocated` });
        }
      }
      if (nodePort === undefined) {
        nodePort = allocatePort(new Set([...nodePortsTaken, ...ownNodePorts]));
        if (nodePort === undefined) problems.push({ field: `${field}.nodePort`, message: `Internal error: no free port left in ${min}-${max}` });
      }
      if (nodePort !== undefined) {
        ownNodePorts.add(nodePort);
        port.nodePort = nodePort;
      }
      return port;
    });
    if (inputPorts.length > 0 || spec.ports) spec.ports = ports;

    spec.sessionAffinity = spec.sessionAffinity ?? 'None';
    if (spec.sessionAffinity === 'ClientIP') {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_TIMEOUT_SECONDS } };
    } else if (spec.sessionAffinityConfig) {
      problems.push({ field: 'spec.sessionAffinityConfig', message: "Forbidden: must not be set when `sessionAffinity` is 'None'" });
    }
    if (problems.length > 0) throw new ServiceAdmissionError(name, problems);
    return { ...input, spec };
  }

  return {
    admit(service, existing, write) {
      const result = tail.then(() => write(admitNow(service, existing)));
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
