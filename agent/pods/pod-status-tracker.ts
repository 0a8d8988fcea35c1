/**
 * Pod status from each reconcile pass: every pod the report covers (podsToReport), its status computed
 * as the kubelet computes it (pod-status.ts) from what the pass saw, the agent's container records and
 * the prober's word. The status last computed for a pod is kept, so transition times and startTime stay
 * where they were. What to publish and when is the link's (link/pod-status-reporter.ts).
 */
import { preciseTimestamp } from '../../protocol/time.js';
import type { PodStatusEntry } from '../../protocol/messages.js';
import type { ContainerRecords } from './container-records.js';
import { computePodStatus, podsToReport, toEntry } from './pod-status.js';
import type { ProbeState } from './probes/prober.js';
import type { Observation } from './reconciler.js';

/** The statuses of one pass: what the pod status reporter publishes. */
export interface PodStatusReport {
  /** The desired generation the pass ran (0 before any). */
  generation: number;
  /** Every reported pod's status, in report order. */
  pods: PodStatusEntry[];
}

export interface PodStatusTrackerOptions {
  records: ContainerRecords;
  runtimeName: string;
  /** The node's InternalIP, when known. */
  hostIP: () => string | undefined;
  /** The pod's IPs from its sandbox (the pod network), when it has one. */
  podIPs?: ((podUid: string) => string[] | undefined) | undefined;
  /** The prober's state of a pod's container. */
  probes?: ((podUid: string, container: string) => ProbeState | undefined) | undefined;
}

export interface PodStatusTracker {
  /** Every reported pod's status after a pass. */
  compute(observation: Observation): PodStatusReport;
}

export function createPodStatusTracker(opts: PodStatusTrackerOptions): PodStatusTracker {
  let latest = new Map<string, PodStatusEntry>();
  return {
    compute(observation) {
      const now = preciseTimestamp(observation.at);
      const next = new Map<string, PodStatusEntry>();
      for (const reported of podsToReport(observation)) {
        const status = computePodStatus({
          pod: reported.pod,
          containers: reported.containers,
          record: (name) => opts.records.peek(reported.uid, name),
          runtimeName: opts.runtimeName,
          hostIP: opts.hostIP(),
          podIPs: opts.podIPs?.(reported.uid),
          now,
          previous: latest.get(reported.uid)?.status,
          probes: opts.probes ? (name) => opts.probes?.(reported.uid, name) : undefined,
        });
        next.set(reported.uid, toEntry(reported, status));
      }
      latest = next;
      return { generation: observation.desired?.generation ?? 0, pods: [...next.values()] };
    },
  };
}
