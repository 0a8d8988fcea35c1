/**
 * drover/v1/nodes/NODE/status: the agent's facts. First restricted to what a node may report of its
 * own Node (node-restriction.ts: measured fields within bounds; what is refused is logged at warn,
 * counted, and left as the Node had it), then written into the Node's status (capacity, allocatable,
 * nodeInfo, addresses, usage, images, the agent's conditions), the well-known labels the agent derives
 * merged into metadata.labels, the overlay MAC and local volume directory as annotations, and Ready=True (KubeletReady) with a fresh heartbeat. Status from a
 * node the store does not know is logged and dropped.
 */
import { nodeStatusMessageSchema, type NodeStatusMessage } from '../../protocol/messages.js';
import type { Node } from '../../protocol/objects/node.js';
import type { MessageHandler } from '../broker/broker.js';
import { setCondition } from '../../protocol/conditions.js';
import { nodeMessageHandler, type FleetContext } from './context.js';
import { updateWithRetry } from '../store/update-with-retry.js';
import { preciseTimestamp } from '../../protocol/time.js';
import { AGENT_OWNED_NODE_LABELS, ANNOTATION_LOCAL_VOLUME_DIR, ANNOTATION_VTEP_MAC } from '../../protocol/well-known.js';
import { restrictNodeStatusReport } from './node-restriction.js';

/** Counts the fields of status reports node restriction refused. */
export interface NodeStatusMetrics {
  refused(field: string): void;
}

/** The Node after a status report; pure, for tests. */
export function applyNodeStatusReport(node: Node, report: NodeStatusMessage, now: string): Node {
  const reported = report.status;
  const status = { ...node.status };
  if (reported.capacity) status.capacity = reported.capacity;
  if (reported.allocatable) status.allocatable = reported.allocatable;
  if (reported.nodeInfo) status.nodeInfo = reported.nodeInfo;
  if (reported.addresses) status.addresses = reported.addresses;
  if (reported.usage) status.usage = reported.usage;
  if (reported.images) status.images = reported.images;
  let conditions = status.conditions;
  // Conditions the agent observes itself (MemoryPressure, DiskPressure, ...); Ready is the hub's to set.
  for (const c of reported.conditions ?? []) {
    if (c.type !== 'Ready') conditions = setCondition(conditions, { ...c, lastHeartbeatTime: now }, now);
  }
  status.conditions = setCondition(
    conditions,
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'the agent is posting ready status', lastHeartbeatTime: now },
    now,
  );
  const labels = { ...node.metadata.labels };
  for (const key of AGENT_OWNED_NODE_LABELS) {
    const value = report.labels?.[key];
    if (value !== undefined) labels[key] = value;
  }
  // the node's end of the overlay, for the other nodes (network.drover.io/vtep-mac, as flannel's backend-data)
  let annotations = node.metadata.annotations;
  const vtepMAC = report.network?.vtepMAC;
  if (vtepMAC && annotations?.[ANNOTATION_VTEP_MAC] !== vtepMAC) annotations = { ...annotations, [ANNOTATION_VTEP_MAC]: vtepMAC };
  // where the agent keeps local-path volumes (the volume controller provisions them there)
  const volumeDir = report.volumeDir;
  if (volumeDir && annotations?.[ANNOTATION_LOCAL_VOLUME_DIR] !== volumeDir) annotations = { ...annotations, [ANNOTATION_LOCAL_VOLUME_DIR]: volumeDir };
  return { ...node, metadata: { ...node.metadata, labels, ...(annotations ? { annotations } : {}) }, status };
}

export function createNodeStatusHandler(ctx: FleetContext, metrics?: NodeStatusMetrics): MessageHandler {
  return nodeMessageHandler(ctx, 'node-status', 'status', nodeStatusMessageSchema, async (node, received, logger) => {
    ctx.leases.renew(node, ctx.clock());
    const { report, refused } = restrictNodeStatusReport(node, received);
    if (refused.length > 0) {
      for (const r of refused) metrics?.refused(r.field);
      logger.warn({ node, refused: refused.map((r) => `${r.field}: ${r.reason}`) }, 'node status report: fields a node may not set were not written');
    }
    const result = await updateWithRetry<Node>(
      ctx.store,
      { kind: 'Node', namespace: '', name: node },
      (current) => applyNodeStatusReport(current, report, preciseTimestamp(ctx.clock())),
    );
    if (result.outcome === 'notFound') logger.warn({ node }, 'status from a node the store does not know dropped');
  });
}
