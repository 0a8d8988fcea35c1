/**
 * Node leases: when each node was last heard from, and whether its agent is connected. This is what
 * Kubernetes keeps in coordination.k8s.io Leases (kube-node-lease), held in memory here: a heartbeat
 * is worth nothing after a hub restart (every node gets a fresh grace period then, as Kubernetes'
 * node controller gives one), so renewing a lease never writes the store.
 *
 * The fleet layer renews a node's lease on every message from it and ends it when the agent goes
 * offline (its MQTT last will, or a clean shutdown); the node lifecycle controller reads the leases
 * to decide when a node is Ready=Unknown. Pure state, no timers.
 */
import type { NodeUsage } from '../../protocol/objects/node.js';
import type { PodUsageReport } from '../../protocol/pod-usage.js';

export interface NodeLease {
  node: string;
  /** Epoch ms of the last message from the node (or the time the lease was seeded). */
  renewTime: number;
  /** False from the agent's offline presence until its next message. */
  connected: boolean;
  /** Why the lease was ended (for the NodeStatusUnknown message), while `connected` is false. */
  endedReason?: string;
  /** The live usage the last heartbeat carried. */
  usage?: NodeUsage;
  /** The per-pod usage the last heartbeat that had one carried (metrics.k8s.io PodMetrics). */
  podUsage?: PodUsageReport;
  /** Seeded (at hub start, or when the Node was added) and not renewed since (an end keeps it). */
  seeded?: boolean;
}

export interface NodeLeases {
  /** The node said something: it is alive and connected at `at` (a heartbeat brings its usage and its pods' usage). */
  renew(node: string, at: number, usage?: NodeUsage, podUsage?: PodUsageReport): void;
  /** The node's agent went offline at `at` (its last will, or a clean shutdown). */
  end(node: string, at: number, reason: string): void;
  /** Start tracking a node not heard from since this hub started: as if renewed at `at` (no-op when tracked). */
  seed(node: string, at: number): void;
  /** Forget a deleted node. */
  remove(node: string): void;
  get(node: string): NodeLease | undefined;
  all(): IterableIterator<NodeLease>;
  /** Called after every end() (a node went offline); returns the unsubscribe function. */
  onEnded(listener: (lease: NodeLease) => void): () => void;
}

export function createNodeLeases(): NodeLeases {
  const leases = new Map<string, NodeLease>();
  const listeners = new Set<(lease: NodeLease) => void>();
  return {
    renew(node, at, usage, podUsage) {
      const lease = leases.get(node);
      if (!lease) {
        leases.set(node, { node, renewTime: at, connected: true, ...(usage ? { usage } : {}), ...(podUsage ? { podUsage } : {}) });
        return;
      }
      if (usage) lease.usage = usage;
      if (podUsage) lease.podUsage = podUsage;
      lease.renewTime = Math.max(lease.renewTime, at);
      lease.connected = true;
      delete lease.endedReason;
      delete lease.seeded;
    },
    end(node, at, reason) {
      const lease = leases.get(node) ?? { node, renewTime: at, connected: false };
      lease.connected = false;
      delete lease.podUsage; // an offline node runs nothing the hub can vouch for
      lease.endedReason = reason;
      leases.set(node, lease);
      for (const listener of listeners) listener(lease);
    },
    seed(node, at) {
      if (!leases.has(node)) leases.set(node, { node, renewTime: at, connected: true, seeded: true });
    },
    remove(node) {
      leases.delete(node);
    },
    get: (node) => leases.get(node),
    all: () => leases.values(),
    onEnded(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
