/**
 * The runtime container a command or stream is about: the pod's (the one in the desired set when a
 * pod of the same name is being replaced), its container by name (or the only one). Throws
 * PodNotFoundError / ContainerNotRunningError with kubectl's messages.
 */
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import type { ContainerInfo, ContainerRuntime } from '../../runtime-adapters/runtime.js';
import { ContainerNotRunningError, PodNotFoundError } from '../errors.js';
import { podNamespace, podUid, type DesiredSet } from '../desired-set.js';

export interface ContainerRef {
  namespace: string;
  pod: string;
  container?: string;
}

export function containerFinder(opts: { nodeName: string; runtime: ContainerRuntime; desired: () => DesiredSet | undefined }): (ref: ContainerRef) => Promise<ContainerInfo> {
  return async function findContainer(cmd: ContainerRef): Promise<ContainerInfo> {
    const desiredPod = opts.desired()?.pods.find(
      (p) => p.metadata.name === cmd.pod && podNamespace(p) === cmd.namespace && !p.metadata.deletionTimestamp,
    );
    const all = await opts.runtime.list({
      [RUNTIME_LABELS.node]: opts.nodeName,
      [RUNTIME_LABELS.podNamespace]: cmd.namespace,
      [RUNTIME_LABELS.podName]: cmd.pod,
    });
    // a pod of the same name being replaced may still have containers: prefer the desired one
    const uid = desiredPod ? podUid(desiredPod) : all[0]?.labels[RUNTIME_LABELS.podUid];
    const containers = all.filter((c) => c.labels[RUNTIME_LABELS.podUid] === uid);
    if (!desiredPod && containers.length === 0) throw new PodNotFoundError(cmd.namespace, cmd.pod);
    const names = desiredPod ? desiredPod.spec.containers.map((c) => c.name) : containers.map((c) => c.labels[RUNTIME_LABELS.container] ?? '');
    let name = cmd.container;
    if (!name) {
      if (names.length !== 1) {
        throw new ContainerNotRunningError(`a container name must be specified for pod ${cmd.pod}, choose one of: [${names.join(' ')}]`);
      }
      name = names[0]!;
    } else if (!names.includes(name)) {
      throw new ContainerNotRunningError(`container ${name} is not valid for pod ${cmd.pod}, choose one of: [${names.join(' ')}]`);
    }
    const info = containers.find((c) => c.labels[RUNTIME_LABELS.container] === name);
    if (!info) throw new ContainerNotRunningError(`container ${name} of pod ${cmd.namespace}/${cmd.pod} has not been created yet`);
    return info;
  };
}
