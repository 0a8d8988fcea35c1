import type { Container, Node, Pod, PodPhase, Taint, Toleration } from '../../../protocol/index.js';

export interface NodeFixture {
  ready?: boolean;
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  images?: string[];
  /** Images with the platforms the node reports for them. */
  imagePlatforms?: Record<string, string[]>;
}

export function makeNode(name: string, f: NodeFixture = {}): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...f.labels } },
    spec: {
      ...(f.unschedulable !== undefined ? { unschedulable: f.unschedulable } : {}),
      ...(f.taints ? { taints: f.taints } : {}),
    },
    status: {
      allocatable: { cpu: f.cpu ?? '4', memory: f.memory ?? '8Gi', pods: f.pods ?? '110' },
      conditions: [{ type: 'Ready', status: f.ready === false ? 'False' : 'True' }],
      ...(f.images || f.imagePlatforms
        ? {
            images: [
              ...(f.images ?? []).map((n) => ({ names: [n] })),
              ...Object.entries(f.imagePlatforms ?? {}).map(([n, platforms]) => ({ names: [n], platforms })),
            ],
          }
        : {}),
    },
  };
}

export interface PodFixture {
  namespace?: string;
  cpu?: string;
  memory?: string;
  image?: string;
  nodeName?: string;
  phase?: PodPhase;
  hostPort?: number;
  protocol?: 'TCP' | 'UDP';
  labels?: Record<string, string>;
  owner?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  affinity?: Pod['spec']['affinity'];
  schedulerName?: string;
  containers?: Container[];
}

export function makePod(name: string, f: PodFixture = {}): Pod {
  const requests: Record<string, string> = {};
  if (f.cpu) requests.cpu = f.cpu;
  if (f.memory) requests.memory = f.memory;
  const container: Container = {
    name: 'main',
    image: f.image ?? 'drover.local/busybox:test',
    ...(Object.keys(requests).length ? { resources: { requests } } : {}),
    ...(f.hostPort ? { ports: [{ containerPort: 80, hostPort: f.hostPort, ...(f.protocol ? { protocol: f.protocol } : {}) }] } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: f.namespace ?? 'default',
      uid: `uid-${name}`,
      ...(f.labels ? { labels: f.labels } : {}),
      ...(f.owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: f.owner, uid: `uid-${f.owner}`, controller: true }] }
        : {}),
    },
    spec: {
      containers: f.containers ?? [container],
      ...(f.nodeName ? { nodeName: f.nodeName } : {}),
      ...(f.nodeSelector ? { nodeSelector: f.nodeSelector } : {}),
      ...(f.tolerations ? { tolerations: f.tolerations } : {}),
      ...(f.affinity ? { affinity: f.affinity } : {}),
      ...(f.schedulerName ? { schedulerName: f.schedulerName } : {}),
    },
    ...(f.phase ? { status: { phase: f.phase } } : {}),
  };
}
