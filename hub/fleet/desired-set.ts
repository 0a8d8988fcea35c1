/** Building a node's desired set from stored Pods; pure, for tests. */
import { type ClaimVolume, type ConfigData, type DesiredSetMessage } from '../../protocol/messages.js';
import type { Pod } from '../../protocol/objects/pod.js';
import { preciseTimestamp } from '../../protocol/time.js';

/**
 * What the agent gets of a Pod: everything but status, resourceVersion and managedFields (status is the
 * agent's own report; resourceVersion changes with every status write and would make identical sets
 * differ; managedFields are the API's bookkeeping of who wrote which field, bytes a node never reads).
 */
export function desiredPod(pod: Pod): Pod {
  const { status: _status, ...rest } = pod;
  const { resourceVersion: _rv, managedFields: _managed, ...metadata } = pod.metadata;
  return { ...rest, metadata } as Pod;
}

/** The fingerprint of what a Pod contributes to a desired set: the node it is bound to and its desired form. */
export function podFingerprint(pod: Pod): string {
  return JSON.stringify([pod.spec?.nodeName ?? '', desiredPod(pod)]);
}

/** The pods that should run on `node`: bound to it and not being deleted (their config goes with the set). */
export function podsForNode(node: string, pods: Pod[]): Pod[] {
  return pods.filter((p) => p.spec.nodeName === node && !p.metadata.deletionTimestamp);
}

/**
 * The desired set for `node`: its bound Pods, sorted by namespace/name. Pods being deleted stay in it
 * with their deletionTimestamp and deletionGracePeriodSeconds, so the agent stops them with the grace
 * the deletion asked for (`kubectl delete --grace-period=N`, `--now`), not the spec's; the agent runs
 * none of them. `nodeExists` false (the Node was deleted) gives an empty set. `config` is the
 * ConfigMaps/Secrets the pods that should run reference (see desired-config.ts), `volumes` the claims they
 * mount with their volumes (desired-volumes.ts); the caller fetches them.
 */
export function buildDesiredSet(
  node: string,
  pods: Pod[],
  generation: number,
  nodeExists: boolean,
  clock: () => number,
  config: ConfigData[] = [],
  volumes: ClaimVolume[] = [],
): DesiredSetMessage {
  const selected = nodeExists
    ? pods
        .filter((p) => p.spec.nodeName === node)
        .map(desiredPod)
        .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
    : [];
  const set: DesiredSetMessage = { v: 1, type: 'desiredSet', sentAt: preciseTimestamp(clock()), node, generation, pods: selected, config: selected.length > 0 ? config : [] };
  // only when some pod mounts a claim: agents before volumes refuse the field
  if (selected.length > 0 && volumes.length > 0) set.volumes = volumes;
  return set;
}
