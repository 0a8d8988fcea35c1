/**
 * Kubernetes discovery documents, built from protocol's kind registry, so kubectl and
 * @kubernetes/client-node find the resources: /api, /api/v1, /apis, /apis/GROUP/VERSION, /version.
 */
import { allKinds } from '../../protocol/kinds.js';
import { ACTION_SUBRESOURCES, AUTHORIZATION_GROUP, AUTHORIZATION_VERSION, DROVER_GROUP, DROVER_VERSION, REVIEW_RESOURCES, TOKEN_RESOURCES, servedGroupVersions } from './router.js';
import { METRICS_GROUP, METRICS_VERSION, metricsResources } from './resource-metrics.js';
import { apiErrors } from './status.js';

/**
 * The Kubernetes API level Drover implements, what `/version` (and so `kubectl version`) says: the
 * kinds, watch semantics and small APIs of kube-apiserver 1.32, whose kubectl and client-go test/compat
 * drives. client-go 1.32 sends protobuf request bodies to a server that reports 1.32 (`kubectl auth
 * can-i`, `create`, `drain`): the hub reads them (request-body.ts, protobuf/).
 */
export const KUBERNETES_API_LEVEL = { major: '1', minor: '32', patch: '0' } as const;

export const SERVER_VERSION = {
  major: KUBERNETES_API_LEVEL.major,
  minor: KUBERNETES_API_LEVEL.minor,
  gitVersion: `v${KUBERNETES_API_LEVEL.major}.${KUBERNETES_API_LEVEL.minor}.${KUBERNETES_API_LEVEL.patch}-drover`,
  platform: `${process.platform === 'win32' ? 'windows' : process.platform}/${goArch(process.arch)}`,
};

/** Node's process.arch in Go's GOARCH words, as kube-apiserver reports its platform ("linux/amd64"). */
function goArch(arch: string): string {
  return ({ x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64' } as Record<string, string>)[arch] ?? arch;
}

const ALL_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
/** The kinds in Kubernetes' `all` category (`kubectl get all`): workloads and Services, not config or nodes. */
const ALL_CATEGORY = new Set(['Pod', 'Service', 'Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob', 'HorizontalPodAutoscaler']);

export function versionInfo(): Record<string, string> {
  return {
    major: SERVER_VERSION.major,
    minor: SERVER_VERSION.minor,
    gitVersion: SERVER_VERSION.gitVersion,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsc',
    platform: SERVER_VERSION.platform,
  };
}

export function coreVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

export function groupList(): unknown {
  const groups = new Map<string, string[]>();
  for (const { group, version } of servedGroupVersions()) {
    if (group === '') continue;
    groups.set(group, [...(groups.get(group) ?? []), version]);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => ({
      name,
      versions: versions.map((v) => ({ groupVersion: groupVersion(name, v), version: v })),
      preferredVersion: { groupVersion: groupVersion(name, versions[0]!), version: versions[0]! },
    })),
  };
}

export function resourceList(group: string, version: string): unknown {
  if (!servedGroupVersions().some((g) => g.group === group && g.version === version)) {
    throw apiErrors.resourceNotFound(group === '' ? `/api/${version}` : `/apis/${group}/${version}`);
  }
  const resources: unknown[] = [];
  for (const k of allKinds()) {
    if (k.group !== group || k.version !== version) continue;
    resources.push({
      name: k.plural,
      singularName: k.singular,
      namespaced: k.namespaced,
      kind: k.kind,
      verbs: k.kind === 'Node' ? ALL_VERBS.filter((v) => v !== 'create') : ALL_VERBS,
      shortNames: k.shortNames,
      ...(ALL_CATEGORY.has(k.kind) ? { categories: ['all'] } : {}),
    });
    resources.push({ name: `${k.plural}/status`, singularName: '', namespaced: k.namespaced, kind: k.kind, verbs: ['get', 'patch', 'update'] });
    if ((ACTION_SUBRESOURCES.scale as readonly string[]).includes(k.kind)) {
      // kubectl scale --current-replicas (and client-go's scale client) find the Scale's group-version here
      resources.push({ name: `${k.plural}/scale`, singularName: '', namespaced: k.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    }
  }
  if (group === 'autoscaling' && version === 'v1') {
    resources.push({ name: 'horizontalpodautoscalers', singularName: 'horizontalpodautoscaler', namespaced: true, kind: 'HorizontalPodAutoscaler', verbs: ['create', 'delete', 'get', 'list', 'update'], shortNames: ['hpa'], categories: ['all'] });
  }
  // kubectl drain evicts (instead of deleting) when /api/v1 lists pods/eviction with its group and version.
  if (group === '' && version === 'v1') resources.push({ name: 'pods/eviction', singularName: '', namespaced: true, group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
  if (group === AUTHORIZATION_GROUP && version === AUTHORIZATION_VERSION) {
    for (const [name, kind] of Object.entries(REVIEW_RESOURCES)) resources.push({ name, singularName: '', namespaced: false, kind, verbs: ['create'] });
  }
  if (group === METRICS_GROUP && version === METRICS_VERSION) resources.push(...metricsResources());
  if (group === DROVER_GROUP && version === DROVER_VERSION) {
    for (const name of TOKEN_RESOURCES) {
      resources.push({
        name,
        singularName: name.replace(/s$/, ''),
        namespaced: false,
        kind: name === 'jointokens' ? 'JoinToken' : 'ApiToken',
        verbs: ['create', 'delete', 'list'],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}
