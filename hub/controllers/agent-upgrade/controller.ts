/**
 * The AgentUpgrade controller (drover.io/v1): for each AgentUpgrade, planUpgrade (plan.ts) says which nodes
 * to start; each started node gets the bundle of the version for its architecture (AgentBundleCatalog) in an
 * upgradeAgent command (AgentUpgradeCommands, over its MQTT cmd topic), whose reply means "installed,
 * restarting into it" (installedAt); the node's own report of the version and Ready then makes it Succeeded,
 * and its absence by the deadline Failed (the device rolled back by itself). A refused command fails the node
 * with the agent's reason. The status is written to the object, an Event for each node started, done or
 * failed. Requeued at each deadline and on every Node change.
 */
import { isDeepStrictEqual } from 'node:util';
import { isSupportedAgentVersion, MIN_SUPPORTED_AGENT_VERSION } from '../../../protocol/agent-version.js';
import { matchesSelector } from '../../../protocol/labels.js';
import type { BundleIndexEntry as AgentBundleRef } from '../../../protocol/agent-bundle.js';
import type { AgentUpgrade, AgentUpgradeNodeStatus } from '../../../protocol/objects/agent-upgrade.js';
import type { Node } from '../../../protocol/objects/node.js';
import { kubeTimestamp } from '../../../protocol/time.js';
import { LABEL_AGENT_VERSION, LABEL_ARCH, NODE_CONDITION_READY } from '../../../protocol/well-known.js';
import { updateWithRetry } from '../../store/update-with-retry.js';
import type { Controller, ControllerOptions } from '../controller.js';
import { createReconcileLoop, loopController } from '../reconcile-loop.js';
import { involvedObjectOf } from '../replicaset.js';
import { bundleArchOf, type AgentBundleCatalog } from './bundle-catalog.js';
import { planUpgrade, readyDeadlineMs, type UpgradeNode } from './plan.js';

export const AGENT_UPGRADE_CONTROLLER = 'agent-upgrade-controller';

/** What the controller asks of the fleet (hub/fleet/node-commands.ts implements it). */
export interface AgentUpgradeCommands {
  upgradeAgent(req: { node: string; bundle: AgentBundleRef; readyDeadlineSeconds: number }): Promise<void>;
}

export interface AgentUpgradeControllerOptions extends ControllerOptions {
  commands: AgentUpgradeCommands;
  bundles: AgentBundleCatalog;
  resyncMs?: number;
}

const upgradeKey = (name: string) => ({ kind: 'AgentUpgrade', namespace: '', name });

export function upgradeNodeOf(node: Node): UpgradeNode {
  const ready = node.status?.conditions?.some((c) => c.type === NODE_CONDITION_READY && c.status === 'True') ?? false;
  return { name: node.metadata.name, labels: node.metadata.labels ?? {}, ready, version: node.metadata.labels?.[LABEL_AGENT_VERSION] };
}

export async function createAgentUpgradeController(opts: AgentUpgradeControllerOptions): Promise<Controller> {
  const { store, cache, clock, events } = opts;
  const logger = opts.logger.child({ controller: 'agent-upgrade' });
  const source = { component: AGENT_UPGRADE_CONTROLLER };
  /** Outcomes of commands that came back since the last reconcile: upgrade/node -> installed or the refusal. */
  const outcomes = new Map<string, { installedAt: string } | { error: string; at: string }>();
  /** Commands waiting for their reply (upgrade/node). */
  const inFlight = new Set<string>();
  const say = (u: AgentUpgrade, type: 'Normal' | 'Warning', reason: string, message: string): void => {
    void events.record({ ...involvedObjectOf(u), namespace: 'default' }, type, reason, message, source);
  };

  function send(u: AgentUpgrade, node: Node): void {
    const id = `${u.metadata.name}/${node.metadata.name}`;
    if (inFlight.has(id)) return;
    inFlight.add(id);
    const arch = bundleArchOf(node.metadata.labels?.[LABEL_ARCH]);
    const readyDeadlineSeconds = readyDeadlineMs(u) / 1000;
    void (async () => {
      const bundle = await opts.bundles.find(u.spec.version, arch);
      if (!bundle) throw new Error(`the hub has no bundle of agent ${u.spec.version} for linux/${arch}`);
      await opts.commands.upgradeAgent({ node: node.metadata.name, bundle, readyDeadlineSeconds });
    })()
      .then(
        () => outcomes.set(id, { installedAt: kubeTimestamp(clock()) }),
        (err: unknown) => {
          const message = (err as Error).message;
          // a repeat after the hub restarted, reaching the new agent already: it is installed
          if (/already the current version/.test(message)) outcomes.set(id, { installedAt: kubeTimestamp(clock()) });
          else outcomes.set(id, { error: message, at: kubeTimestamp(clock()) });
        },
      )
      .finally(() => {
        inFlight.delete(id);
        loop.enqueue(u.metadata.name);
      });
  }

  async function reconcile(name: string): Promise<void> {
    const u = await store.get<AgentUpgrade>(upgradeKey(name));
    if (!u || u.metadata.deletionTimestamp) return;
    const now = clock();
    if (!isSupportedAgentVersion(u.spec.version)) {
      // the API refuses this already; an object from an older hub is not acted on
      await writeStatus(u, { phase: 'Failed', message: `agent ${u.spec.version} is older than ${MIN_SUPPORTED_AGENT_VERSION}, the oldest this hub supports: not pushed`, nodes: u.status?.nodes ?? [] });
      return;
    }
    const allNodes = cache.kind<Node>('Node').list();
    const selected = allNodes.filter((n) => matchesSelector(n.metadata.labels, u.spec.nodeSelector));
    // fold in the replies that came back: installed (the deadline starts), or refused (the node failed)
    const prior = (u.status?.nodes ?? []).map((n): AgentUpgradeNodeStatus => {
      const id = `${name}/${n.name}`;
      const got = outcomes.get(id);
      if (!got || n.phase !== 'Upgrading') return n;
      outcomes.delete(id);
      if ('installedAt' in got) return { ...n, installedAt: got.installedAt, message: 'installed; the agent restarts into it' };
      say(u, 'Warning', 'UpgradeFailed', `node ${n.name}: ${got.error}`);
      return { ...n, phase: 'Failed', finishedAt: got.at, message: got.error };
    });
    const plan = planUpgrade({ ...u, status: { ...u.status, nodes: prior } }, selected.map(upgradeNodeOf), now);
    for (const n of plan.finished) {
      if (n.phase === 'Succeeded') say(u, 'Normal', 'NodeUpgraded', `node ${n.name} runs agent ${u.spec.version} and is Ready`);
      else say(u, 'Warning', 'UpgradeFailed', `node ${n.name}: ${n.message ?? 'failed'}`);
    }
    for (const nodeName of plan.start) say(u, 'Normal', 'UpgradingNode', `telling node ${nodeName} to install agent ${u.spec.version}`);
    const wasPhase = u.status?.phase;
    await writeStatus(u, { phase: plan.phase, message: plan.message, nodes: plan.nodes });
    if (plan.phase !== wasPhase && (plan.phase === 'Complete' || plan.phase === 'Failed')) {
      say(u, plan.phase === 'Complete' ? 'Normal' : 'Warning', plan.phase === 'Complete' ? 'UpgradeComplete' : 'UpgradeFailed', plan.message);
    }
    // after the status is written (a hub that stops now re-sends from Upgrading): tell the agents
    const upgrading = new Set([...plan.start, ...plan.nodes.filter((n) => n.phase === 'Upgrading' && !n.installedAt).map((n) => n.name)]);
    for (const node of selected) if (upgrading.has(node.metadata.name)) send(u, node);
    if (plan.recheckAt !== undefined) loop.requeueAfter(name, Math.max(0, plan.recheckAt - now) + 50);
  }

  async function writeStatus(u: AgentUpgrade, next: { phase: NonNullable<AgentUpgrade['status']>['phase']; message: string; nodes: AgentUpgradeNodeStatus[] }): Promise<void> {
    const status: NonNullable<AgentUpgrade['status']> = { ...(u.metadata.generation !== undefined ? { observedGeneration: u.metadata.generation } : {}), ...next };
    await updateWithRetry<AgentUpgrade>(store, upgradeKey(u.metadata.name), (current) => {
      if (current.metadata.uid !== u.metadata.uid) return undefined;
      const keep = { ...current.status };
      delete keep.conditions;
      if (isDeepStrictEqual(keep, status)) return undefined;
      return { ...current, status: { ...status, ...(current.status?.conditions ? { conditions: current.status.conditions } : {}) } };
    });
    if (next.phase !== u.status?.phase) logger.info({ upgrade: u.metadata.name, phase: next.phase, message: next.message }, 'agent upgrade');
  }

  const loop = createReconcileLoop({
    name: AGENT_UPGRADE_CONTROLLER,
    logger,
    reconcile,
    ...(opts.resyncMs !== undefined ? { resyncMs: opts.resyncMs } : {}),
    listKeys: async () => cache.kind<AgentUpgrade>('AgentUpgrade').list().map((u) => u.metadata.name),
  });
  const active = (): string[] =>
    cache
      .kind<AgentUpgrade>('AgentUpgrade')
      .list()
      .filter((u) => u.status?.phase !== 'Complete' && u.status?.phase !== 'Failed')
      .map((u) => u.metadata.name);

  return loopController(loop, logger, () => [
    cache.kind<AgentUpgrade>('AgentUpgrade').subscribe((e) => {
      if (e.type !== 'DELETED') loop.enqueue(e.object.metadata.name);
    }),
    cache.kind('Node').subscribe(() => {
      for (const name of active()) loop.enqueue(name);
    }),
  ]);
}
