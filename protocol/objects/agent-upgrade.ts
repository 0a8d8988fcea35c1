import { z } from 'zod';
import { isAgentVersion, isSupportedAgentVersion, MIN_SUPPORTED_AGENT_VERSION } from '../agent-version.js';
import { conditionSchema, objectMetaSchema } from './meta.js';
import { labelSelectorSchema } from './workloads.js';

const intOrPercent = z.union([z.number().int().min(1), z.string().regex(/^([1-9]\d?|100)%$/, 'must be a positive integer or a percentage like "25%"')]);

/** Where one node is in an upgrade. */
export const AGENT_UPGRADE_NODE_PHASES = ['Pending', 'Upgrading', 'Succeeded', 'Failed'] as const;
export type AgentUpgradeNodePhase = (typeof AGENT_UPGRADE_NODE_PHASES)[number];

export const agentUpgradeNodeStatusSchema = z.strictObject({
  name: z.string(),
  phase: z.enum(AGENT_UPGRADE_NODE_PHASES),
  /** The version the node ran when the upgrade picked it. */
  fromVersion: z.string().optional(),
  /** When the hub told the agent to install (RFC 3339). */
  startedAt: z.string().optional(),
  /** When the agent answered that the new version is installed and it restarts into it. */
  installedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  message: z.string().optional(),
});
export type AgentUpgradeNodeStatus = z.infer<typeof agentUpgradeNodeStatusSchema>;

/**
 * drover.io/v1 AgentUpgrade (cluster-scoped), after K3s' system-upgrade-controller Plan: roll agent `version`
 * over the nodes `nodeSelector` matches, at most `maxUnavailable` at once, each given `readyDeadlineSeconds` to
 * come back Ready on the new version (else the device rolls back by itself and the node is Failed, which stops
 * the upgrade). `paused` holds back nodes not started yet. The controller is hub/controllers/agent-upgrade.
 */
export const agentUpgradeSchema = z.strictObject({
  apiVersion: z.literal('drover.io/v1'),
  kind: z.literal('AgentUpgrade'),
  metadata: objectMetaSchema,
  spec: z.strictObject({
    version: z
      .string()
      .refine(isAgentVersion, 'must be a semantic version such as 0.2.0')
      .refine((v) => !isAgentVersion(v) || isSupportedAgentVersion(v), {
        message: `is older than ${MIN_SUPPORTED_AGENT_VERSION}, the oldest agent this hub supports`,
      }),
    nodeSelector: labelSelectorSchema.optional(),
    maxUnavailable: intOrPercent.optional(),
    paused: z.boolean().optional(),
    readyDeadlineSeconds: z.number().int().min(10).max(3600).optional(),
  }),
  status: z
    .strictObject({
      observedGeneration: z.number().int().optional(),
      phase: z.enum(['Progressing', 'Paused', 'Complete', 'Failed']).optional(),
      message: z.string().optional(),
      nodes: z.array(agentUpgradeNodeStatusSchema).optional(),
      conditions: z.array(conditionSchema).optional(),
    })
    .optional(),
});
export type AgentUpgrade = z.infer<typeof agentUpgradeSchema> & { metadata: { name: string } };

export const DEFAULT_AGENT_UPGRADE_READY_DEADLINE_SECONDS = 120;
