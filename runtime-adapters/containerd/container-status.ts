/**
 * What a containerd container is, as a ContainerInfo: ctr's record (labels, image, creation time), its
 * task's status, and what the adapter keeps because ctr does not (run-state.ts: start time, exit code,
 * finish time). A task seen STOPPED is harvested once: `ctr tasks delete` reports its exit code, which is
 * recorded with the time the adapter noticed, and the container's port forwarders close.
 */
import type { Logger } from '../../protocol/logger.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { hostAddress } from '../host-address.js';
import type { ContainerInfo } from '../runtime.js';
import { netnsOf, OWN_LABELS, withoutOwnLabels } from './container-labels.js';
import type { ContainerLocks } from './container-locks.js';
import type { Ctr, CtrContainerInfo } from './ctr.js';
import { isNotFound, parseDeleteExitCode, type TaskStatus } from './ctr-output.js';
import type { PortForwarders } from './port-forwarders.js';
import type { ContainerRunState, ContainerStateStore } from './run-state.js';

export interface ContainerStatusOptions {
  ctr: Ctr;
  states: ContainerStateStore;
  locks: ContainerLocks;
  forwarders: PortForwarders;
  clock: () => number;
  logger: Logger;
}

export interface ContainerStatus {
  /** The task stopped: record its exit code and time, delete the task (keeping the container). */
  harvest(id: string): Promise<ContainerRunState>;
  /** The container as the interface reports it, given its task's status (undefined: no task). */
  info(raw: CtrContainerInfo, status: TaskStatus | undefined): Promise<ContainerInfo>;
}

export function createContainerStatus(opts: ContainerStatusOptions): ContainerStatus {
  const { ctr, states, locks, forwarders, logger: log } = opts;
  let hostIp: string | undefined;

  async function harvest(id: string): Promise<ContainerRunState> {
    const result = await ctr.run(['tasks', 'delete', id]);
    const state = await states.read(id);
    if (result.exitCode !== 0) {
      if (isNotFound(result.stderr)) return state; // harvested meanwhile by another process
      throw ctr.failed(`tasks delete ${id}`, result);
    }
    const next: ContainerRunState = { ...state, exitCode: parseDeleteExitCode(result.stderr), finishedAt: preciseTimestamp(opts.clock()) };
    await states.write(id, next);
    await forwarders.close(id);
    log.info({ id, exitCode: next.exitCode }, 'container exited');
    return next;
  }

  return {
    harvest,
    async info(raw, status) {
      const id = raw.ID;
      const allLabels = raw.Labels ?? {};
      let state = await states.read(id);
      if (status === 'STOPPED') state = await locks.run(id, () => harvest(id));
      const info: ContainerInfo = {
        id,
        name: allLabels[OWN_LABELS.name] ?? id,
        image: allLabels[OWN_LABELS.image] ?? raw.Image ?? '',
        labels: withoutOwnLabels(allLabels),
        state: 'created',
      };
      // in a pod network namespace the pod's IP is the pod network's (CNI) to report
      if (netnsOf(allLabels) === undefined) info.ip = hostIp ??= hostAddress();
      if (raw.CreatedAt) info.createdAt = raw.CreatedAt;
      if (status === 'RUNNING' || status === 'PAUSED' || status === 'PAUSING') {
        info.state = 'running';
        if (state.startedAt) info.startedAt = state.startedAt;
        try {
          await forwarders.open(id, allLabels); // after an agent restart
        } catch (err) {
          log.warn({ err, id }, 'could not restore port forwarders');
        }
      } else if (status === 'UNKNOWN') {
        info.state = 'unknown';
      } else if (state.exitCode !== undefined) {
        info.state = 'exited';
        info.exitCode = state.exitCode;
        if (state.startedAt) info.startedAt = state.startedAt;
        if (state.finishedAt) info.finishedAt = state.finishedAt;
      }
      if (state.reason) info.reason = state.reason;
      return info;
    },
  };
}
