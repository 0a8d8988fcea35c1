import { afterEach, describe, expect, it } from 'vitest';
import type { Event, Node } from '../../../../protocol/index.js';
import type { BundleIndexEntry as AgentBundleRef } from '../../../../protocol/agent-bundle.js';
import type { AgentUpgrade } from '../../../../protocol/objects/agent-upgrade.js';
import { LABEL_AGENT_VERSION as AGENT_VERSION_LABEL } from '../../../../protocol/well-known.js';
import { createAgentUpgradeController, type AgentUpgradeCommands } from '../../../../hub/controllers/agent-upgrade/controller.js';
import { ROLLBACK_GRACE_MS } from '../../../../hub/controllers/agent-upgrade/plan.js';
import { harness, node, type Harness } from '../workload-support.js';
import { eventually } from '../temp-store.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.dispose();
  h = undefined;
});

const bundleRef = (version: string, arch: string): AgentBundleRef => ({ version, arch: arch as AgentBundleRef['arch'], file: `drover-agent-${version}-linux-${arch}.tar.gz`, size: 10, sha256: 'a'.repeat(64), signature: 'sig' });
const bundles = { find: async (version: string, arch: string) => (version === '0.9.9' ? undefined : bundleRef(version, arch)) };

/** Agents as the controller sees them: an upgradeAgent call, then (unless `broken`) the node's label moves to the version. */
function fakeAgents(h: Harness, opts: { broken?: string[]; refuse?: Record<string, string> } = {}) {
  const calls: { node: string; bundle: AgentBundleRef }[] = [];
  let upgrading = 0;
  let maxAtOnce = 0;
  const commands: AgentUpgradeCommands = {
    async upgradeAgent(req) {
      calls.push(req);
      if (opts.refuse?.[req.node]) throw new Error(opts.refuse[req.node]);
      upgrading++;
      maxAtOnce = Math.max(maxAtOnce, upgrading);
      if (opts.broken?.includes(req.node)) return;
      // the new agent comes up a little later and reports its version
      setTimeout(() => {
        void (async () => {
          const cur = (await h.store.get<Node>({ kind: 'Node', namespace: '', name: req.node }))!;
          upgrading--;
          await h.store.update<Node>({ ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, [AGENT_VERSION_LABEL]: req.bundle.version } } });
        })();
      }, 50);
    },
  };
  return { commands, calls, maxAtOnce: () => maxAtOnce };
}

const upgrade = (spec: Partial<AgentUpgrade['spec']>): AgentUpgrade => ({ apiVersion: 'drover.io/v1', kind: 'AgentUpgrade', metadata: { name: 'to-020' }, spec: { version: '0.2.0', ...spec } });
const getUpgrade = async (h: Harness): Promise<AgentUpgrade> => (await h.store.get<AgentUpgrade>({ kind: 'AgentUpgrade', namespace: '', name: 'to-020' }))!;
const reasons = async (h: Harness): Promise<string[]> => (await h.store.list<Event>('Event')).items.map((e) => e.reason ?? '');

async function nodes(h: Harness, names: string[], labels: Record<string, string> = {}): Promise<void> {
  for (const name of names) await h.store.create(node(name, { labels: { [AGENT_VERSION_LABEL]: '0.1.0', 'kubernetes.io/arch': 'arm64', ...labels } }));
}

describe('AgentUpgrade controller (fake clock)', () => {
  it('rolls the version over the selected nodes one at a time and completes', async () => {
    h = await harness('agent-upgrade-');
    await nodes(h, ['n1', 'n2', 'n3'], { site: 'plant-3' });
    await nodes(h, ['other']);
    const agents = fakeAgents(h);
    await h.run((o) => createAgentUpgradeController({ ...o, commands: agents.commands, bundles }));
    await h.store.create(upgrade({ nodeSelector: { matchLabels: { site: 'plant-3' } }, maxUnavailable: 1 }));
    const done = await eventually('the upgrade to complete', async () => ((await getUpgrade(h!)).status?.phase === 'Complete' ? getUpgrade(h!) : undefined));
    expect(done.status?.nodes?.map((n) => [n.name, n.phase, n.fromVersion])).toEqual([['n1', 'Succeeded', '0.1.0'], ['n2', 'Succeeded', '0.1.0'], ['n3', 'Succeeded', '0.1.0']]);
    expect(agents.calls.map((c) => c.node)).toEqual(['n1', 'n2', 'n3']);
    expect(agents.calls[0]!.bundle.file).toBe('drover-agent-0.2.0-linux-arm64.tar.gz');
    expect(agents.maxAtOnce()).toBe(1);
    expect(done.status?.message).toBe('3 of 3 nodes on 0.2.0');
    // events are recorded after the status write
    await eventually('the UpgradeComplete event', async () => ((await reasons(h!)).includes('UpgradeComplete') ? true : undefined));
    expect(await reasons(h)).toEqual(expect.arrayContaining(['UpgradingNode', 'NodeUpgraded']));
  });

  it('a paused upgrade starts nothing until unpaused', async () => {
    h = await harness('agent-upgrade-pause-');
    await nodes(h, ['n1', 'n2']);
    const agents = fakeAgents(h);
    await h.run((o) => createAgentUpgradeController({ ...o, commands: agents.commands, bundles }));
    await h.store.create(upgrade({ paused: true }));
    await eventually('Paused', async () => ((await getUpgrade(h!)).status?.phase === 'Paused' ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect(agents.calls).toEqual([]);
    const u = await getUpgrade(h);
    await h.store.update({ ...u, spec: { ...u.spec, paused: false } });
    await eventually('Complete', async () => ((await getUpgrade(h!)).status?.phase === 'Complete' ? true : undefined));
    expect(agents.calls.map((c) => c.node)).toEqual(['n1', 'n2']);
  });

  it('fails a node whose new agent is not Ready by the deadline (it rolled back) and starts no other', async () => {
    h = await harness('agent-upgrade-broken-');
    await nodes(h, ['n1', 'n2']);
    const agents = fakeAgents(h, { broken: ['n1'] });
    await h.run((o) => createAgentUpgradeController({ ...o, commands: agents.commands, bundles }));
    await h.store.create(upgrade({ readyDeadlineSeconds: 20 }));
    await eventually('n1 installed', async () => ((await getUpgrade(h!)).status?.nodes?.[0]?.installedAt ? true : undefined));
    h.advance(20_000 + ROLLBACK_GRACE_MS);
    const failed = await eventually('Failed', async () => ((await getUpgrade(h!)).status?.phase === 'Failed' ? getUpgrade(h!) : undefined));
    expect(failed.status?.nodes?.[0]).toMatchObject({ name: 'n1', phase: 'Failed', message: 'agent 0.2.0 was not Ready within 20 s: the device rolled back to 0.1.0' });
    expect(failed.status?.nodes?.[1]?.phase).toBe('Pending');
    expect(agents.calls.map((c) => c.node)).toEqual(['n1']);
    await eventually('the UpgradeFailed event', async () => ((await reasons(h!)).includes('UpgradeFailed') ? true : undefined));
  });

  it("fails a node whose agent refuses, or for whose architecture the hub has no bundle, with the reason", async () => {
    h = await harness('agent-upgrade-refused-');
    await nodes(h, ['n1']);
    const agents = fakeAgents(h, { refuse: { n1: 'this agent does not run from an install prefix' } });
    await h.run((o) => createAgentUpgradeController({ ...o, commands: agents.commands, bundles }));
    await h.store.create(upgrade({}));
    const failed = await eventually('Failed', async () => ((await getUpgrade(h!)).status?.phase === 'Failed' ? getUpgrade(h!) : undefined));
    expect(failed.status?.nodes?.[0]?.message).toBe('this agent does not run from an install prefix');
    await h.store.create({ ...upgrade({ version: '0.9.9' }), metadata: { name: 'to-099' } });
    const none = await eventually('Failed', async () => {
      const u = await h!.store.get<AgentUpgrade>({ kind: 'AgentUpgrade', namespace: '', name: 'to-099' });
      return u?.status?.phase === 'Failed' ? u : undefined;
    });
    expect(none.status?.nodes?.[0]?.message).toBe('the hub has no bundle of agent 0.9.9 for linux/arm64');
  });
});
