/**
 * Node restriction (Kubernetes' NodeRestriction admission, for what a node sends on its own status
 * topic): a node may report only what it measures of its own Node, within bounds. The topic already
 * names the node (the broker's ACL lets a node publish only its own); this decides which fields of the
 * report are written. What is refused is left out of the report (the Node keeps what it had), and
 * named, for a warning and a counter; the rest applies.
 *
 * - capacity and allocatable: only `cpu`, `memory`, `ephemeral-storage` and `pods` (what the agent
 *   measures; no extended resources); each a positive quantity within NODE_STATUS_BOUNDS (1024 cores,
 *   64 TiB of memory, 1 PiB of storage, 2500 pods); allocatable only of resources in capacity, each at
 *   most its capacity. One resource out of bounds and neither map is written.
 * - usage: memory and disk in use at most their capacity.
 * - conditions: only the kubelet's types the agent measures (AGENT_NODE_CONDITION_TYPES); `Ready`
 *   is the hub's (set by the status handler, not taken from the node); reason and message bounded.
 *   Each is rebuilt from type, status, reason and message: times are the hub's.
 * - labels: only `kubernetes.io/{arch,os,hostname}` and `drover.io/agent-version`; hostname must be the
 *   node's name, arch, os and the agent version what its nodeInfo says (kubeletVersion `drover-<version>`).
 * - addresses at most 16; images at most the 50 largest with 5 names each (the kubelet's
 *   nodeStatusMaxImages and maxNamesPerImageInNodeStatus; trimmed, not refused).
 *
 * The hub cannot verify hardware: a node that lies in its facts (8 cores for 4) is believed within
 * these bounds. What it cannot do is claim more than its own report says (allocatable over capacity,
 * usage over capacity), absurd amounts, resources it does not measure, conditions of other types, or
 * any field of another node, nor labels, taints or spec (the handler writes none of those).
 */
import type { NodeStatusMessage } from '../../protocol/messages.js';
import type { Condition } from '../../protocol/objects/meta.js';
import { parseQuantity } from '../../protocol/quantity.js';
import {
  AGENT_KUBELET_VERSION_PREFIX,
  AGENT_NODE_CONDITION_TYPES,
  AGENT_OWNED_NODE_LABELS,
  LABEL_AGENT_VERSION,
  LABEL_ARCH,
  LABEL_HOSTNAME,
  LABEL_OS,
  NODE_CONDITION_READY,
  agentVersionLabelValue,
} from '../../protocol/well-known.js';

export const NODE_STATUS_BOUNDS = {
  cpuCores: 1024,
  memoryBytes: 64 * 2 ** 40,
  storageBytes: 2 ** 50,
  pods: 2500,
  addresses: 16,
  images: 50,
  namesPerImage: 5,
  conditionReasonChars: 128,
  conditionMessageChars: 1024,
} as const;

/** The resources a node may report: what the agent measures (and its pod limit). */
export const NODE_RESOURCES = ['cpu', 'memory', 'ephemeral-storage', 'pods'] as const;
type NodeResource = (typeof NODE_RESOURCES)[number];

const MAX_OF: Record<NodeResource, number> = {
  cpu: NODE_STATUS_BOUNDS.cpuCores,
  memory: NODE_STATUS_BOUNDS.memoryBytes,
  'ephemeral-storage': NODE_STATUS_BOUNDS.storageBytes,
  pods: NODE_STATUS_BOUNDS.pods,
};

/** One field of a report that was not written, and why. */
export interface Refusal {
  /** The field's path: `status.capacity`, `status.conditions`, `labels`, ... (the metric's label). */
  field: string;
  reason: string;
}

export interface RestrictedReport {
  report: NodeStatusMessage;
  refused: Refusal[];
}

type ResourceList = Record<string, string>;

function checkResourceList(list: ResourceList, field: string, refused: Refusal[]): Map<string, number> {
  const values = new Map<string, number>();
  for (const [name, raw] of Object.entries(list)) {
    if (!(NODE_RESOURCES as readonly string[]).includes(name)) {
      refused.push({ field, reason: `${name}: not a resource the node measures (${NODE_RESOURCES.join(', ')})` });
      continue;
    }
    let value: number;
    try {
      value = parseQuantity(raw);
    } catch {
      refused.push({ field, reason: `${name}: "${raw}" is not a quantity` });
      continue;
    }
    const max = MAX_OF[name as NodeResource];
    if (!(value >= 0) || value > max) refused.push({ field, reason: `${name}: ${raw} is outside 0..${max}` });
    else if (name === 'pods' && !Number.isInteger(value)) refused.push({ field, reason: `pods: ${raw} is not a whole number` });
    else values.set(name, value);
  }
  return values;
}

/** Capacity, allocatable and usage together: either all sound or the resource maps are left out. */
function restrictResources(status: NodeStatusMessage['status'], refused: Refusal[]): NodeStatusMessage['status'] {
  const { capacity, allocatable, usage } = status;
  if (!capacity && !allocatable) return status;
  const problems: Refusal[] = [];
  const cap = checkResourceList(capacity ?? {}, 'status.capacity', problems);
  for (const [name, value] of cap) if (value <= 0 && name !== 'pods') problems.push({ field: 'status.capacity', reason: `${name}: must be more than 0` });
  const alloc = checkResourceList(allocatable ?? {}, 'status.allocatable', problems);
  for (const [name, value] of alloc) {
    const limit = cap.get(name);
    if (limit === undefined) problems.push({ field: 'status.allocatable', reason: `${name}: allocatable without capacity` });
    else if (value > limit) problems.push({ field: 'status.allocatable', reason: `${name}: ${allocatable![name]} is more than its capacity ${capacity![name]}` });
  }
  let next = status;
  if (usage) {
    const memory = cap.get('memory');
    const disk = cap.get('ephemeral-storage');
    if ((memory !== undefined && usage.memoryUsedBytes > memory) || (disk !== undefined && (usage.diskUsedBytes ?? 0) > disk)) {
      refused.push({ field: 'status.usage', reason: 'more memory or disk in use than the node has' });
      next = { ...next };
      delete next.usage;
    }
  }
  if (problems.length === 0) return next;
  refused.push(...problems);
  next = { ...next };
  delete next.capacity;
  delete next.allocatable;
  return next;
}

function restrictConditions(conditions: Condition[], refused: Refusal[]): Condition[] {
  const kept: Condition[] = [];
  for (const c of conditions) {
    if (c.type === NODE_CONDITION_READY) continue; // the hub's to set
    if (!(AGENT_NODE_CONDITION_TYPES as readonly string[]).includes(c.type)) {
      refused.push({ field: 'status.conditions', reason: `${c.type}: not a condition the node reports (${AGENT_NODE_CONDITION_TYPES.join(', ')})` });
    } else if ((c.reason?.length ?? 0) > NODE_STATUS_BOUNDS.conditionReasonChars || (c.message?.length ?? 0) > NODE_STATUS_BOUNDS.conditionMessageChars) {
      refused.push({ field: 'status.conditions', reason: `${c.type}: reason or message too long` });
    } else {
      kept.push({ type: c.type, status: c.status, ...(c.reason !== undefined ? { reason: c.reason } : {}), ...(c.message !== undefined ? { message: c.message } : {}) });
    }
  }
  return kept;
}

function restrictLabels(nodeName: string, report: NodeStatusMessage, refused: Refusal[]): Record<string, string> {
  const info = report.status.nodeInfo;
  const kubelet = info?.kubeletVersion;
  const must: Record<string, string | undefined> = {
    [LABEL_HOSTNAME]: nodeName,
    [LABEL_ARCH]: info?.architecture,
    [LABEL_OS]: info?.operatingSystem,
    // the version label says what nodeInfo says (drover-<version>)
    [LABEL_AGENT_VERSION]: kubelet?.startsWith(AGENT_KUBELET_VERSION_PREFIX) ? agentVersionLabelValue(kubelet.slice(AGENT_KUBELET_VERSION_PREFIX.length)) : undefined,
  };
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(report.labels ?? {})) {
    if (!(AGENT_OWNED_NODE_LABELS as readonly string[]).includes(key)) refused.push({ field: 'labels', reason: `${key}: only users label nodes` });
    else if (must[key] !== undefined && must[key] !== value) refused.push({ field: 'labels', reason: `${key}: "${value}" is not "${must[key]}"` });
    else kept[key] = value;
  }
  return kept;
}

function trimImages(images: NonNullable<NodeStatusMessage['status']['images']>): NonNullable<NodeStatusMessage['status']['images']> {
  if (images.length <= NODE_STATUS_BOUNDS.images && images.every((i) => i.names.length <= NODE_STATUS_BOUNDS.namesPerImage)) return images;
  return [...images]
    .sort((a, b) => (b.sizeBytes ?? 0) - (a.sizeBytes ?? 0))
    .slice(0, NODE_STATUS_BOUNDS.images)
    .map((i) => ({ ...i, names: i.names.slice(0, NODE_STATUS_BOUNDS.namesPerImage) }));
}

/** What of `report`, node `nodeName`'s status message, may be written into its Node; pure. */
export function restrictNodeStatusReport(nodeName: string, report: NodeStatusMessage): RestrictedReport {
  const refused: Refusal[] = [];
  let status = restrictResources(report.status, refused);
  if (status.conditions) status = { ...status, conditions: restrictConditions(status.conditions, refused) };
  if (status.addresses && status.addresses.length > NODE_STATUS_BOUNDS.addresses) {
    refused.push({ field: 'status.addresses', reason: `${status.addresses.length} addresses, at most ${NODE_STATUS_BOUNDS.addresses} kept` });
    status = { ...status, addresses: status.addresses.slice(0, NODE_STATUS_BOUNDS.addresses) };
  }
  if (status.images) status = { ...status, images: trimImages(status.images) };
  // phase is the hub's business (Kubernetes deprecated NodePhase); never taken from the node
  if (status.phase !== undefined) {
    status = { ...status };
    delete status.phase;
  }
  const labels = report.labels ? restrictLabels(nodeName, report, refused) : undefined;
  return { report: { ...report, status, ...(labels ? { labels } : {}) }, refused };
}
