/**
 * Host ports for host-network containers (a container in a pod network namespace needs none: portmap): a port whose hostPort differs from its containerPort gets a
 * TCP forwarder (tcp-forwarder.ts) in the agent process from hostIP:hostPort to 127.0.0.1:containerPort,
 * opened when the container starts (or is seen running after an agent restart), closed when it stops.
 */
import type { Logger } from '../../protocol/logger.js';
import { RuntimeCommandError } from '../errors.js';
import type { PortMapping } from '../runtime.js';
import { netnsOf, portsOf } from './container-labels.js';
import { RUNTIME } from './ctr.js';
import { startTcpForwarder, type TcpForwarder } from './tcp-forwarder.js';

export interface PortForwarders {
  /** Open the forwarders the container's ports need (labels as created), unless open already. */
  open(id: string, labels: Record<string, string>): Promise<void>;
  close(id: string): Promise<void>;
}

/**
 * Ports that need a forwarder: hostPort set and different from containerPort, on a host-network container
 * (in a pod network namespace, the pod network's portmap serves host ports).
 */
function forwardedPorts(labels: Record<string, string>): PortMapping[] {
  if (netnsOf(labels) !== undefined) return [];
  return portsOf(labels).filter((p) => p.hostPort !== undefined && p.hostPort !== p.containerPort);
}

export function createPortForwarders(opts: { logger: Logger }): PortForwarders {
  const forwarders = new Map<string, TcpForwarder[]>();
  return {
    async open(id, labels) {
      const ports = forwardedPorts(labels);
      if (ports.length === 0 || forwarders.has(id)) return;
      const opened: TcpForwarder[] = [];
      try {
        for (const p of ports) {
          opened.push(
            await startTcpForwarder({
              hostPort: p.hostPort!,
              targetPort: p.containerPort,
              ...(p.hostIP ? { hostIP: p.hostIP } : {}),
              logger: opts.logger.child({ container: id }),
            }),
          );
        }
      } catch (err) {
        await Promise.all(opened.map((f) => f.close()));
        throw new RuntimeCommandError(RUNTIME, `cannot forward host ports for ${id}: ${(err as Error).message}`, undefined, {
          cause: err,
        });
      }
      forwarders.set(id, opened);
    },
    async close(id) {
      const fws = forwarders.get(id);
      if (!fws) return;
      forwarders.delete(id);
      await Promise.all(fws.map((f) => f.close()));
    },
  };
}
