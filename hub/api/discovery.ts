/**
 * Kubernetes discovery documents, built from protocol's kind registry, so kubectl and
 * @kubernetes/client-node find the resources: /api, /api/v1, /apis, /apis/GROUP/VERSION, /version.
 */
import { allKinds } from '../../protocol/kinds.js';
import { ACTION_SUBRESOURCES, AUTHORIZATION_GROUP, AUTHORIZATION_VERSION, DROVER_GROUP, DROVER_VERSION, REVIEW_RESOURCES, TOKEN_RESOURCES, servedGroupVersions } from './router.js';
import { apiErrors } from './status.js';

export const SERVER_VERSION = { major: '1', minor: '30', gitVersion: 'v1.30.0-drover', platform: `${process.platform}/${process.arch}` };

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
  if (group === AUTHORIZATION_GROUP && version === AUTHORIZATION_VERSION) {
    for (const [name, kind] of Object.entries(REVIEW_RESOURCES)) resources.push({ name, singularName: '', namespaced: false, kind, verbs: ['create'] });
  }
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
