/**
 * Kubernetes' service environment variables (the kubelet's pkg/kubelet/envvars), for the Services that
 * exist when a container is created: for each Service of the pod's namespace with a cluster IP,
 *
 *   <NAME>_SERVICE_HOST=10.43.0.10        <NAME>_SERVICE_PORT=80 (the first port)
 *   <NAME>_SERVICE_PORT_<PORTNAME>=80     (each named port)
 *   <NAME>_PORT=tcp://10.43.0.10:80       (Docker links style, the first port)
 *   <NAME>_PORT_80_TCP=tcp://10.43.0.10:80, ..._PROTO=tcp, ..._PORT=80, ..._ADDR=10.43.0.10 (each port)
 *
 * NAME is the Service's name (or port's) in upper case with dashes as underscores. As the kubelet does,
 * the `kubernetes` Service of the `default` namespace is given to every pod, even with
 * enableServiceLinks: false; headless Services give nothing. The pod's own env wins over these.
 */
import type { NetworkService } from '../../protocol/messages.js';

export interface EnvVar {
  name: string;
  value: string;
}

export interface ServiceEnvOptions {
  /** The pod's spec.enableServiceLinks (Kubernetes' default: true). */
  enableServiceLinks?: boolean;
}

type EnvService = Pick<NetworkService, 'namespace' | 'name' | 'clusterIP' | 'ports'>;

const MASTER_NAMESPACE = 'default';
const MASTER_SERVICE = 'kubernetes';

function envName(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The variables of one Service, in the kubelet's order. */
export function serviceEnvFor(service: EnvService): EnvVar[] {
  const ip = service.clusterIP;
  if (!ip || ip === 'None' || service.ports.length === 0) return [];
  const prefix = envName(service.name);
  const first = service.ports[0]!;
  const vars: EnvVar[] = [
    { name: `${prefix}_SERVICE_HOST`, value: ip },
    { name: `${prefix}_SERVICE_PORT`, value: String(first.port) },
  ];
  for (const p of service.ports) if (p.name) vars.push({ name: `${prefix}_SERVICE_PORT_${envName(p.name)}`, value: String(p.port) });
  service.ports.forEach((p, i) => {
    const proto = (p.protocol ?? 'TCP').toUpperCase();
    const url = `${proto.toLowerCase()}://${hostPort(ip, p.port)}`;
    if (i === 0) vars.push({ name: `${prefix}_PORT`, value: url });
    const portPrefix = `${prefix}_PORT_${p.port}_${proto}`;
    vars.push(
      { name: portPrefix, value: url },
      { name: `${portPrefix}_PROTO`, value: proto.toLowerCase() },
      { name: `${portPrefix}_PORT`, value: String(p.port) },
      { name: `${portPrefix}_ADDR`, value: ip },
    );
  });
  return vars;
}

/**
 * The service variables for a container of a pod in `namespace`, from the node's network set's
 * Services: Services in name order, each Service's variables in the kubelet's order.
 */
export function serviceEnv(services: readonly EnvService[], namespace: string, options: ServiceEnvOptions = {}): EnvVar[] {
  const links = options.enableServiceLinks ?? true;
  const byName = new Map<string, EnvService>();
  for (const s of services) {
    if (!s.clusterIP || s.clusterIP === 'None') continue;
    const isMaster = s.namespace === MASTER_NAMESPACE && s.name === MASTER_SERVICE;
    // the pod's own namespace wins over the master service of the same name, as in the kubelet
    if (s.namespace === namespace && links) byName.set(s.name, s);
    else if (isMaster && !byName.has(s.name)) byName.set(s.name, s);
  }
  return [...byName.keys()].sort().flatMap((name) => serviceEnvFor(byName.get(name)!));
}
