import { describe, expect, it } from 'vitest';
import type { AgentUpgrade } from '../../../../protocol/objects/agent-upgrade.js';
import { agentUpgradeSchema } from '../../../../protocol/objects/agent-upgrade.js';
import { kubeTimestamp } from '../../../../protocol/time.js';
import { planUpgrade, ROLLBACK_GRACE_MS, type UpgradeNode } from '../../../../hub/controllers/agent-upgrade/plan.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const upgrade = (spec: Partial<AgentUpgrade['spec']> = {}, nodes?: NonNullable<AgentUpgrade['status']>['nodes']): AgentUpgrade => ({
  apiVersion: 'drover.io/v1',
  kind: 'AgentUpgrade',
  metadata: { name: 'to-020' },
  spec: { version: '0.2.0', readyDeadlineSeconds: 30, ...spec },
  ...(nodes ? { status: { nodes } } : {}),
});
const n = (name: string, version = '0.1.0', ready = true): UpgradeNode => ({ name, labels: {}, ready, version });

describe('planUpgrade', () => {
  it('starts at most maxUnavailable nodes, by name, and the next once one is on the version and Ready', () => {
    let u = upgrade({ maxUnavailable: 1 });
    let plan = planUpgrade(u, [n('c'), n('a'), n('b')], T0);
    expect(plan.start).toEqual(['a']);
    expect(plan.nodes.map((x) => x.phase)).toEqual(['Upgrading', 'Pending', 'Pending']);
    expect(plan.phase).toBe('Progressing');
    u = upgrade({ maxUnavailable: 1 }, plan.nodes);
    // a is installing (not reporting 0.2.0 yet): nothing else starts
    expect(planUpgrade(u, [n('a'), n('b'), n('c')], T0 + 1000).start).toEqual([]);
    // a reports 0.2.0 but is not Ready yet: still nothing
    expect(planUpgrade(u, [n('a', '0.2.0', false), n('b'), n('c')], T0 + 2000).start).toEqual([]);
    plan = planUpgrade(u, [n('a', '0.2.0'), n('b'), n('c')], T0 + 3000);
    expect(plan.finished.map((x) => [x.name, x.phase])).toEqual([['a', 'Succeeded']]);
    expect(plan.start).toEqual(['b']);
  });

  it('takes maxUnavailable as a percentage (rounded down, at least 1), skips nodes on the version and NotReady ones', () => {
    const nodes = ['a', 'b', 'c', 'd', 'e'].map((x) => n(x));
    expect(planUpgrade(upgrade({ maxUnavailable: '40%' }), nodes, T0).start).toEqual(['a', 'b']);
    expect(planUpgrade(upgrade({ maxUnavailable: '10%' }), nodes, T0).start).toEqual(['a']);
    const plan = planUpgrade(upgrade({ maxUnavailable: 2 }), [n('a', '0.2.0'), n('b', '0.1.0', false), n('c')], T0);
    expect(plan.nodes.map((x) => [x.name, x.phase])).toEqual([['a', 'Succeeded'], ['b', 'Pending'], ['c', 'Upgrading']]);
    expect(plan.start).toEqual(['c']);
  });

  it('starts nothing while paused, and is Complete once every selected node is on the version', () => {
    const paused = planUpgrade(upgrade({ paused: true }), [n('a'), n('b')], T0);
    expect(paused.start).toEqual([]);
    expect(paused.phase).toBe('Paused');
    const done = planUpgrade(upgrade(), [n('a', '0.2.0'), n('b', '0.2.0')], T0);
    expect(done.phase).toBe('Complete');
    expect(done.message).toBe('2 of 2 nodes on 0.2.0');
  });

  it('fails a node not Ready on the version by the deadline after it installed, and then starts no other', () => {
    const installedAt = kubeTimestamp(T0);
    const u = upgrade({ maxUnavailable: 1 }, [{ name: 'a', phase: 'Upgrading', fromVersion: '0.1.0', startedAt: installedAt, installedAt }]);
    const due = T0 + 30_000 + ROLLBACK_GRACE_MS;
    const before = planUpgrade(u, [n('a'), n('b')], due - 1);
    expect(before.nodes[0]!.phase).toBe('Upgrading');
    expect(before.recheckAt).toBe(due);
    const after = planUpgrade(u, [n('a'), n('b')], due);
    expect(after.nodes[0]).toMatchObject({ phase: 'Failed', message: 'agent 0.2.0 was not Ready within 30 s: the device rolled back to 0.1.0' });
    expect(after.phase).toBe('Failed');
    expect(after.start).toEqual([]);
    expect(planUpgrade(upgrade({ maxUnavailable: 1 }, after.nodes), [n('a'), n('b')], due + 60_000).start).toEqual([]);
  });
});

describe('the AgentUpgrade schema', () => {
  it('refuses a version older than the hub supports, naming spec.version', () => {
    const r = agentUpgradeSchema.safeParse(upgrade({ version: '0.0.9' }));
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({ path: ['spec', 'version'], message: expect.stringContaining('older than 0.1.0') });
    expect(agentUpgradeSchema.safeParse(upgrade({ version: 'latest' })).error?.issues[0]?.message).toContain('semantic version');
    expect(agentUpgradeSchema.safeParse(upgrade({ version: '0.2.0-rc.1' })).success).toBe(true);
  });
});
