import { cpuToMillis, memoryToBytes } from './quantity.js';
import type { Pod } from './objects/pod.js';

/** Labels every runtime adapter puts on what it creates, so the agent finds its own after a restart. */
export const RUNTIME_LABELS = {
  managed: 'io.drover.managed',
  node: 'io.drover.node',
  podUid: 'io.drover.pod.uid',
  podName: 'io.drover.pod.name',
  podNamespace: 'io.drover.pod.namespace',
  container: 'io.drover.container',
  specHash: 'io.drover.spec-hash',
  /** The pod sandbox (network namespace) a container was made in; absent on the host or the runtime's default network. */
  sandbox: 'io.drover.pod.sandbox',
} as const;

/** Sum of the pod's container requests (limits stand in for missing requests, as in Kubernetes). */
export function podRequests(pod: Pod): { cpuMillis: number; memoryBytes: number } {
  let cpuMillis = 0;
  let memoryBytes = 0;
  for (const c of pod.spec.containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    const cpu = req.cpu ?? lim.cpu;
    const mem = req.memory ?? lim.memory;
    if (cpu !== undefined) cpuMillis += cpuToMillis(cpu);
    if (mem !== undefined) memoryBytes += memoryToBytes(mem);
  }
  return { cpuMillis, memoryBytes };
}

/** Host ports the pod claims, as "PROTO/port". */
export function podHostPorts(pod: Pod): string[] {
  const out: string[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (p.hostPort) out.push(`${p.protocol ?? 'TCP'}/${p.hostPort}`);
      else if (pod.spec.hostNetwork) out.push(`${p.protocol ?? 'TCP'}/${p.containerPort}`);
    }
  }
  return out;
}

export function podKey(pod: { metadata: { namespace?: string; name: string } }): string {
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
}

/** A pod in phase Succeeded or Failed has finished: it runs nothing and holds no resources any more. */
export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Guaranteed, Burstable or BestEffort, from the containers' requests and limits (as the kubelet decides). */
export function qosClassOf(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  let any = false;
  let guaranteed = true;
  for (const c of pod.spec.containers) {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    if (Object.keys(limits).length || Object.keys(requests).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const limit = limits[r];
      const request = requests[r] ?? limit;
      if (limit === undefined || request !== limit) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
