/** What `docker inspect` says about a container, as a ContainerInfo. Pure functions, tested directly. */
import type { ContainerInfo, ContainerState } from '../runtime.js';

/** Subset of `docker inspect` we read. */
export interface DockerInspect {
  Id: string;
  Name: string;
  Created?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  State?: {
    Status?: string;
    ExitCode?: number;
    StartedAt?: string;
    FinishedAt?: string;
    OOMKilled?: boolean;
    Error?: string;
  };
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> | null };
}

/** Docker's zero time means "never". */
function timestamp(value: string | undefined): string | undefined {
  if (!value || value.startsWith('0001-01-01')) return undefined;
  return value;
}

function mapState(status: string | undefined): ContainerState {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
      return 'exited';
    default:
      return 'unknown';
  }
}

export function toContainerInfo(raw: DockerInspect, hostIp: () => string): ContainerInfo {
  const state = mapState(raw.State?.Status);
  const hostNet = raw.HostConfig?.NetworkMode === 'host';
  const bridgeIp =
    raw.NetworkSettings?.IPAddress || Object.values(raw.NetworkSettings?.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
  const reason = raw.State?.OOMKilled ? 'OOMKilled' : raw.State?.Error ? raw.State.Error : undefined;
  const info: ContainerInfo = {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    image: raw.Config?.Image ?? '',
    labels: raw.Config?.Labels ?? {},
    state,
  };
  if (state === 'exited' && raw.State?.ExitCode !== undefined) info.exitCode = raw.State.ExitCode;
  const createdAt = timestamp(raw.Created);
  const startedAt = timestamp(raw.State?.StartedAt);
  const finishedAt = timestamp(raw.State?.FinishedAt);
  if (createdAt) info.createdAt = createdAt;
  if (startedAt) info.startedAt = startedAt;
  // Docker stamps StartedAt once the process is running; one that exits at once can show an earlier FinishedAt.
  if (finishedAt && state === 'exited') {
    info.finishedAt = startedAt && Date.parse(finishedAt) < Date.parse(startedAt) ? startedAt : finishedAt;
  }
  if (hostNet) info.ip = hostIp();
  else if (bridgeIp) info.ip = bridgeIp;
  if (reason) info.reason = reason;
  return info;
}

