/**
 * The AgentUpgrade's next step, as a pure function of the object, the nodes and the time (tested with a fake
 * clock, no hub): which selected nodes are done, which failed, which to start now. As K3s'
 * system-upgrade-controller Plan and a Deployment's maxUnavailable:
 *   - a selected node already on the version is Succeeded; the others start Pending;
 *   - an Upgrading node is Succeeded once it reports the version (label drover.io/agent-version) and is Ready;
 *     Failed when it has not `readyDeadlineSeconds` + ROLLBACK_GRACE_MS after the agent said it restarts
 *     (the device has rolled back by itself by then);
 *   - a Failed node stops the upgrade (phase Failed, nothing more started), as a progress deadline would;
 *   - paused: nothing new starts (those under way finish);
 *   - else Ready Pending nodes start, by name, while fewer than maxUnavailable are Upgrading.
 */
import { kubeTimestamp } from '../../../protocol/time.js';
import { agentVersionLabelValue } from '../../../protocol/well-known.js';
import type { AgentUpgrade, AgentUpgradeNodeStatus } from '../../../protocol/objects/agent-upgrade.js';
import { DEFAULT_AGENT_UPGRADE_READY_DEADLINE_SECONDS } from '../../../protocol/objects/agent-upgrade.js';
import { scaledValue } from '../int-or-percent.js';

/** After the device's own deadline: time for it to roll back and the previous agent to report again. */
export const ROLLBACK_GRACE_MS = 15_000;

export interface UpgradeNode {
  name: string;
  labels: Record<string, string>;
  ready: boolean;
  /** The agent version the node reports (undefined: an agent from before the label). */
  version: string | undefined;
}

export type UpgradePhase = NonNullable<NonNullable<AgentUpgrade['status']>['phase']>;

export interface UpgradePlan {
  nodes: AgentUpgradeNodeStatus[];
  /** Nodes to tell to install now (already Upgrading in `nodes`). */
  start: string[];
  /** Nodes that became Succeeded or Failed in this step (for events). */
  finished: AgentUpgradeNodeStatus[];
  phase: UpgradePhase;
  message: string;
  /** When the plan should be looked at again at the latest (a deadline), epoch ms. */
  recheckAt: number | undefined;
}

export function maxUnavailableOf(upgrade: AgentUpgrade, selected: number): number {
  return Math.max(1, scaledValue(upgrade.spec.maxUnavailable, selected, false, 1));
}

export function readyDeadlineMs(upgrade: AgentUpgrade): number {
  return (upgrade.spec.readyDeadlineSeconds ?? DEFAULT_AGENT_UPGRADE_READY_DEADLINE_SECONDS) * 1000;
}

/** The next step. `selected` are the nodes the selector matches (the caller filters), in any order. */
export function planUpgrade(upgrade: AgentUpgrade, selected: readonly UpgradeNode[], now: number): UpgradePlan {
  const target = upgrade.spec.version;
  /** What a node on the target reports in its drover.io/agent-version label. */
  const targetLabel = agentVersionLabelValue(target);
  const previous = new Map((upgrade.status?.nodes ?? []).map((n) => [n.name, n]));
  const byName = [...selected].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const finished: AgentUpgradeNodeStatus[] = [];
  const deadlineMs = readyDeadlineMs(upgrade);
  let recheckAt: number | undefined;
  const at = kubeTimestamp(now);

  const nodes: AgentUpgradeNodeStatus[] = byName.map((node) => {
    const was = previous.get(node.name);
    if (!was) {
      if (node.version === targetLabel) return { name: node.name, phase: 'Succeeded', fromVersion: target, finishedAt: at, message: `already on ${target}` };
      return { name: node.name, phase: 'Pending', ...(node.version ? { fromVersion: node.version } : {}) };
    }
    if (was.phase !== 'Upgrading') return was;
    if (node.version === targetLabel && node.ready) {
      const done: AgentUpgradeNodeStatus = { ...was, phase: 'Succeeded', finishedAt: at, message: `running ${target} and Ready` };
      finished.push(done);
      return done;
    }
    if (was.installedAt) {
      const failAt = Date.parse(was.installedAt) + deadlineMs + ROLLBACK_GRACE_MS;
      if (now >= failAt) {
        const back = node.version !== undefined && node.version !== targetLabel;
        const failed: AgentUpgradeNodeStatus = {
          ...was,
          phase: 'Failed',
          finishedAt: at,
          message: `agent ${target} was not Ready within ${deadlineMs / 1000} s${back ? `: the device rolled back to ${node.version}` : ''}`,
        };
        finished.push(failed);
        return failed;
      }
      recheckAt = Math.min(recheckAt ?? failAt, failAt);
    }
    return was;
  });

  const failed = nodes.filter((n) => n.phase === 'Failed');
  const upgrading = nodes.filter((n) => n.phase === 'Upgrading');
  const start: string[] = [];
  if (failed.length === 0 && !upgrade.spec.paused) {
    let budget = maxUnavailableOf(upgrade, nodes.length) - upgrading.length;
    for (const [i, n] of nodes.entries()) {
      if (budget <= 0) break;
      if (n.phase !== 'Pending' || !byName[i]!.ready) continue;
      nodes[i] = { ...n, phase: 'Upgrading', startedAt: at };
      start.push(n.name);
      budget--;
    }
  }

  const count = (phase: string): number => nodes.filter((n) => n.phase === phase).length;
  const succeeded = count('Succeeded');
  let phase: UpgradePhase;
  let message: string;
  if (failed.length > 0) {
    phase = 'Failed';
    message = `node ${failed[0]!.name}: ${failed[0]!.message ?? 'failed'}; ${count('Upgrading')} still upgrading, no more started`;
  } else if (succeeded === nodes.length) {
    phase = 'Complete';
    message = `${succeeded} of ${nodes.length} nodes on ${target}`;
  } else {
    phase = upgrade.spec.paused ? 'Paused' : 'Progressing';
    message = `${succeeded} of ${nodes.length} nodes on ${target}, ${count('Upgrading')} upgrading${upgrade.spec.paused ? ' (paused)' : ''}`;
  }
  return { nodes, start, finished, phase, message, recheckAt };
}
