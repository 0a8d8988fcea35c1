/** What the scale bench reads of Nodes and Pods from the API, the Deployment it applies, and the simulated nodes' names. */
import { type LiveMap } from '../scale-support.js';
import { PREFIX } from './config.js';

export interface NodeJson {
  metadata: { name: string };
  spec?: { taints?: { key: string; effect: string }[] };
  status?: { conditions?: { type: string; status: string; lastHeartbeatTime?: string; reason?: string }[] };
}

export interface PodJson {
  metadata: { name: string; namespace?: string; uid?: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { containerID?: string; restartCount: number; state?: { running?: { startedAt?: string } } }[];
  };
}

export const readyCondition = (n: NodeJson) => n.status?.conditions?.find((c) => c.type === 'Ready');

export const podReady = (p: PodJson) => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export const nodeName = (i: number) => `${PREFIX}${String(i).padStart(5, '0')}`;

export function deployment(name: string, replicas: number): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [{ name: 'web', image: 'drover.local/busybox:test', resources: { requests: { cpu: '1m', memory: '4Mi' } } }],
        },
      },
    },
  };
}

/** Watch nodes; count those Ready (optionally: with a heartbeat at or after `since`). */
export function readyCount(nodes: LiveMap<NodeJson>, since?: number): number {
  let n = 0;
  for (const node of nodes.items.values()) {
    const ready = readyCondition(node);
    if (ready?.status !== 'True') continue;
    if (since !== undefined && !(Date.parse(ready.lastHeartbeatTime ?? '') >= since)) continue;
    n++;
  }
  return n;
}
