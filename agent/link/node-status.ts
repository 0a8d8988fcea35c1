/**
 * Assembles the node status message from the latest facts: capacity, allocatable (capacity minus a
 * small reserve for the system and the agent), nodeInfo, addresses, live usage, images, the agent's
 * own conditions (MemoryPressure, DiskPressure, PIDPressure; Ready is the hub's) and the well-known
 * labels kubernetes.io/{arch,os,hostname}.
 */
import type { NodeStatusMessage } from '../../protocol/messages.js';
import type { Condition } from '../../protocol/objects/meta.js';
import type { NodeStatus } from '../../protocol/objects/node.js';
import { formatMillis } from '../../protocol/quantity.js';
import { preciseTimestamp } from '../../protocol/time.js';
import type { NodeFacts } from '../host/collector.js';
import { LABEL_ARCH, LABEL_HOSTNAME, LABEL_OS } from '../../protocol/well-known.js';

export const AGENT_VERSION = 'drover-0.1.0';
export const MAX_PODS = '110';

/**
 * What allocatable leaves out of capacity:
 * - CPU: 100m for the OS and the agent;
 * - memory: 10% of the total, at most 256Mi (the agent itself needs ~60Mi);
 * - ephemeral storage: 10% of the data dir's filesystem (the kubelet's nodefs eviction threshold).
 */
export const RESERVE = {
  cpuMillis: 100,
  memoryFraction: 0.1,
  memoryMaxBytes: 256 * 2 ** 20,
  storageFraction: 0.1,
} as const;

/** Below this much available memory the node reports MemoryPressure (the kubelet's default eviction threshold). */
export const MEMORY_PRESSURE_BYTES = 100 * 2 ** 20;
/** Below this fraction of available disk the node reports DiskPressure. */
export const DISK_PRESSURE_FRACTION = 0.1;

/** Bytes as a Kubernetes "NNNKi" quantity (rounded down). */
export function toKi(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

export function buildNodeStatus(facts: NodeFacts, now: string): NodeStatus {
  const status: NodeStatus = {};
  const capacity: Record<string, string> = { pods: MAX_PODS };
  const allocatable: Record<string, string> = { pods: MAX_PODS };
  if (facts.cpu) {
    capacity.cpu = String(facts.cpu.cores);
    allocatable.cpu = formatMillis(Math.max(0, facts.cpu.cores * 1000 - RESERVE.cpuMillis));
  }
  if (facts.memory) {
    const total = facts.memory.totalBytes;
    capacity.memory = toKi(total);
    allocatable.memory = toKi(Math.max(0, total - Math.min(total * RESERVE.memoryFraction, RESERVE.memoryMaxBytes)));
  }
  if (facts.disk) {
    capacity['ephemeral-storage'] = toKi(facts.disk.sizeBytes);
    allocatable['ephemeral-storage'] = toKi(facts.disk.sizeBytes * (1 - RESERVE.storageFraction));
  }
  status.capacity = capacity;
  status.allocatable = allocatable;

  const nodeInfo: NonNullable<NodeStatus['nodeInfo']> = { kubeletVersion: AGENT_VERSION };
  if (facts.host) {
    nodeInfo.architecture = facts.host.architecture;
    nodeInfo.operatingSystem = facts.host.operatingSystem;
    nodeInfo.osImage = facts.host.osImage;
    nodeInfo.kernelVersion = facts.host.kernelVersion;
    nodeInfo.hostname = facts.host.hostname;
    if (facts.host.machineID) nodeInfo.machineID = facts.host.machineID;
  }
  if (facts.cpu) nodeInfo.cpuModel = facts.cpu.model;
  if (facts.runtime) nodeInfo.containerRuntimeVersion = facts.runtime.version;
  status.nodeInfo = nodeInfo;

  const addresses: NonNullable<NodeStatus['addresses']> = (facts.network?.internalIPs ?? []).map((address) => ({
    type: 'InternalIP' as const,
    address,
  }));
  if (facts.host) addresses.push({ type: 'Hostname', address: facts.host.hostname });
  status.addresses = addresses;

  if (facts.cpu && facts.memory) {
    status.usage = { cpuPercent: facts.cpu.loadPercent, memoryUsedBytes: facts.memory.usedBytes, timestamp: now };
    if (facts.disk) status.usage.diskUsedBytes = facts.disk.usedBytes;
  }
  if (facts.runtime) {
    status.images = facts.runtime.images.map((i) => ({
      names: [i.name],
      ...(i.sizeBytes !== undefined ? { sizeBytes: i.sizeBytes } : {}),
      ...(i.platforms ? { platforms: i.platforms } : {}),
    }));
  }
  status.conditions = pressureConditions(facts, now);
  return status;
}

function pressureConditions(facts: NodeFacts, now: string): Condition[] {
  const out: Condition[] = [];
  if (facts.memory) {
    const low = facts.memory.availableBytes < MEMORY_PRESSURE_BYTES;
    out.push({
      type: 'MemoryPressure',
      status: low ? 'True' : 'False',
      reason: low ? 'AgentHasInsufficientMemory' : 'AgentHasSufficientMemory',
      message: low ? 'available memory is below 100Mi' : 'the node has sufficient memory available',
      lastHeartbeatTime: now,
    });
  }
  if (facts.disk) {
    const low = facts.disk.availableBytes < facts.disk.sizeBytes * DISK_PRESSURE_FRACTION;
    out.push({
      type: 'DiskPressure',
      status: low ? 'True' : 'False',
      reason: low ? 'AgentHasDiskPressure' : 'AgentHasNoDiskPressure',
      message: low ? `less than 10% of ${facts.disk.path}'s filesystem is available` : 'the node has no disk pressure',
      lastHeartbeatTime: now,
    });
  }
  out.push({ type: 'PIDPressure', status: 'False', reason: 'AgentHasSufficientPID', message: 'the node has sufficient PID available', lastHeartbeatTime: now });
  return out;
}

/** The well-known labels the agent derives from its facts. */
export function nodeLabels(facts: NodeFacts, nodeName: string): Record<string, string> {
  const labels: Record<string, string> = { [LABEL_HOSTNAME]: nodeName };
  if (facts.host) {
    labels[LABEL_ARCH] = facts.host.architecture;
    labels[LABEL_OS] = facts.host.operatingSystem;
  }
  return labels;
}

/**
 * The node status message. `vtepMAC`: the MAC of the node's VXLAN device once the pod network made it
 * (the hub tells the other nodes, which then route this node's pod CIDR to it). `volumeDir`: where the
 * agent keeps local-path volumes (the hub provisions them there).
 */
export function buildNodeStatusMessage(facts: NodeFacts, nodeName: string, clock: () => number = Date.now, vtepMAC?: string, volumeDir?: string): NodeStatusMessage {
  const now = preciseTimestamp(clock());
  const message: NodeStatusMessage = { v: 1, type: 'nodeStatus', sentAt: now, labels: nodeLabels(facts, nodeName), status: buildNodeStatus(facts, now) };
  if (vtepMAC) message.network = { vtepMAC };
  if (volumeDir) message.volumeDir = volumeDir;
  return message;
}

/** The node's first InternalIP: pods' hostIP. */
export function hostIPOf(facts: NodeFacts): string | undefined {
  return facts.network?.internalIPs[0];
}
