/**
 * The runtime container a command or stream is about: the pod's (the one in the desired set when a
 * pod of the same name is being replaced), its container by name (or the only one). Throws
 * PodNotFoundError / ContainerNotRunningError with kubectl's messages. `previousLogReader`: what the
 * container's previous instance wrote (agent/previous-logs.ts), or the kubelet's "not found".
 */
import { RUNTIME_LABELS } from '../../protocol/pod-helpers.js';
import type { ContainerInfo, ContainerRuntime } from '../../runtime-adapters/runtime.js';
import { ContainerNotRunningError, PodNotFoundError } from '../errors.js';
import { podNamespace, podUid, type DesiredSet } from '../desired-set.js';
import { readPreviousLog } from '../previous-logs.js';

export interface ContainerRef {
  namespace: string;
  pod: string;
  container?: string;
}

/** The pod's uid and the container's name, with its runtime container when there is one. */
export interface ContainerTarget {
  uid: string;
  name: string;
  info: ContainerInfo | undefined;
}

type FinderOptions = { nodeName: string; runtime: ContainerRuntime; desired: () => DesiredSet | undefined };

export function containerFinder(opts: FinderOptions): (ref: ContainerRef) => Promise<ContainerInfo> {
  const findTarget = containerTargetFinder(opts);
  return async function findContainer(cmd: ContainerRef): Promise<ContainerInfo> {
    const { name, info } = await findTarget(cmd);
    if (!info) throw new ContainerNotRunningError(`container ${name} of pod ${cmd.namespace}/${cmd.pod} has not been created yet`);
    return info;
  };
}

/** As containerFinder, but a container not made yet is no error (`logs --previous` reads what its last instance left). */
export function containerTargetFinder(opts: FinderOptions): (ref: ContainerRef) => Promise<ContainerTarget> {
  return async function findTarget(cmd: ContainerRef): Promise<ContainerTarget> {
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
    return { uid: uid ?? '', name, info: containers.find((c) => c.labels[RUNTIME_LABELS.container] === name) };
  };
}

/** The previous instance's log of a container (`logs --previous`); without `dataDir` there is none. */
export function previousLogReader(opts: FinderOptions & { dataDir?: string | undefined }): (ref: ContainerRef, tailLines?: number) => Promise<string> {
  const findTarget = containerTargetFinder(opts);
  return async function readPrevious(ref, tailLines) {
    const { uid, name } = await findTarget(ref);
    const text = opts.dataDir && uid ? await readPreviousLog(opts.dataDir, uid, name, tailLines) : undefined;
    // the kubelet's words (kuberuntime_container.go), answered as a 400 by the hub
    if (text === undefined) throw new ContainerNotRunningError(`previous terminated container "${name}" in pod "${ref.pod}" not found`);
    return text;
  };
}
