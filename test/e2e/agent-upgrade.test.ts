/**
 * Fleet upgrade (OTA) with real parts: a hub process, 3 agents installed from the bundle that
 * install/build-agent-bundle.sh builds, each in a prefix of its own (P/versions/<v>, P/current) run by its
 * supervisor (agent/supervisor.js), each running a pod on containerd. `drover fleet upgrade --max-unavailable 1`
 * moves them to a newer bundle (the same code labelled one patch version up): never two nodes upgrading at
 * once, every node's drover.io/agent-version label on the new version, the pods' containers not restarted
 * (same container IDs and start times). Then a broken version (main.js exits at start) rolls back on its own:
 * the device is back on the version before, and the AgentUpgrade is Failed with no other node touched.
 * Prints the 3-agent upgrade time.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentUpgrade } from '../../protocol/objects/agent-upgrade.js';
import { cleanup, removeNodeContainers, ROOT, sleepPodManifest, startHub, track, waitFor, type Proc, type TestHub } from './support.js';

const SUFFIX = Math.random().toString(36).slice(2, 6);
const NODES = ['upg-a', 'upg-b', 'upg-c'].map((n) => `${n}-${SUFFIX}`);
const CURRENT = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const [MAJ, MIN, PATCH] = CURRENT.split(/[.-]/).map(Number) as [number, number, number];
const NEWER = `${MAJ}.${MIN}.${PATCH + 1}`;
const BROKEN = `${MAJ}.${MIN}.${PATCH + 2}`;
const bundleName = (v: string) => `drover-agent-${v}-linux-amd64.tar.gz`;

interface NodeJson { metadata: { name: string; labels?: Record<string, string> }; status?: { conditions?: { type: string; status: string }[] } }
interface PodJson { status?: { containerStatuses?: { containerID?: string; state?: { running?: { startedAt?: string } } }[] } }

describe('drover fleet upgrade across 3 agents installed from bundles', () => {
  let hub: TestHub;
  let work = '';
  const agents: Proc[] = [];
  const prefixes = new Map<string, string>();

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'drover-upgrade-'));
    const built = join(work, 'built');
    // the current bundle and a newer one (the same code, labelled one patch version up)
    await execa('bash', [join(ROOT, 'install/build-agent-bundle.sh'), '--arch', 'amd64', '--out-dir', built], { cwd: ROOT });
    await execa('bash', [join(ROOT, 'install/build-agent-bundle.sh'), '--arch', 'amd64', '--version', NEWER, '--out-dir', built], { cwd: ROOT });
    // a broken one: its main.js exits at start
    const stage = join(work, 'broken');
    await mkdir(stage, { recursive: true });
    await execa('tar', ['-xzf', join(built, bundleName(NEWER)), '-C', stage]);
    await writeFile(join(stage, 'drover-agent/agent/main.js'), "process.stderr.write('broken agent: exiting at start\\n');\nprocess.exit(3);\n");
    await writeFile(join(stage, 'drover-agent/VERSION'), `${BROKEN}\n`);
    const pkg = JSON.parse(await readFile(join(stage, 'drover-agent/package.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(stage, 'drover-agent/package.json'), JSON.stringify({ ...pkg, version: BROKEN }));
    await execa('tar', ['-czf', join(built, bundleName(BROKEN)), '-C', stage, 'drover-agent']);

    // mqtts on loopback: the agents pin the hub CA at join, which verifies the bundles' signatures and /bundles' HTTPS
    hub = await startHub(['--tls']);
    // the hub offers what is in <data dir>/bundles
    await mkdir(join(hub.dir, 'hub', 'bundles'), { recursive: true });
    for (const v of [NEWER, BROKEN]) await execa('cp', [join(built, bundleName(v)), join(hub.dir, 'hub', 'bundles')]);
    const httpPort = new URL(hub.httpUrl).port;

    for (const node of NODES) {
      // installed as install-agent.sh lays it out: P/versions/<v>, P/current -> versions/<v>
      const prefix = join(work, `prefix-${node}`);
      prefixes.set(node, prefix);
      await mkdir(join(prefix, 'versions', CURRENT), { recursive: true });
      await execa('tar', ['-xzf', join(built, bundleName(CURRENT)), '-C', join(prefix, 'versions', CURRENT), '--strip-components=1']);
      await symlink(join('versions', CURRENT), join(prefix, 'current'));
      const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
      const child = spawn(
        process.execPath,
        [join(prefix, 'current', 'agent', 'supervisor.js'), '--hub', hub.mqttUrl, '--name', node, '--runtime', 'containerd', '--data-dir', join(work, `data-${node}`),
          '--status-interval', '2', '--no-pod-network', '--image-hub', `127.0.0.1:${httpPort}`],
        { env: { ...process.env, DROVER_JOIN_TOKEN: token.trim(), DROVER_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      agents.push(track(child));
    }
    await waitFor('3 nodes Ready on the current version', async () => {
      const list = await hub.json<{ items: NodeJson[] }>(['get', 'nodes']);
      const ready = list.items.filter((n) => NODES.includes(n.metadata.name) && n.metadata.labels?.['drover.io/agent-version'] === CURRENT && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 3;
    }, 180_000);
    for (const node of NODES) await hub.cli(['apply', '-f', '-'], { input: sleepPodManifest({ name: `pod-${node}`, node }) });
  }, 400_000);

  afterAll(async () => {
    for (const a of agents) await a.stop();
    await hub?.stop();
    await removeNodeContainers(NODES);
    if (hub) await cleanup(hub.dir);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const pods = async () =>
    Promise.all(NODES.map(async (n) => (await hub.json<PodJson>(['get', 'pod', `pod-${n}`])).status?.containerStatuses?.[0]));
  const upgradeOf = (name: string) => hub.json<AgentUpgrade>(['get', 'agentupgrades', name]);

  it('moves the 3 agents to the newer version one at a time, their pods running on untouched', async () => {
    const before = await waitFor('the 3 pods running', async () => {
      const s = await pods();
      return s.every((c) => c?.containerID && c.state?.running) ? s : undefined;
    }, 180_000);

    // watch the AgentUpgrade while it runs: never 2 nodes Upgrading at once
    let most = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const u = await hub.json<AgentUpgrade>(['get', 'agentupgrades', `agent-${NEWER.replace(/\./g, '-')}`]).catch(() => undefined);
        most = Math.max(most, u?.status?.nodes?.filter((n) => n.phase === 'Upgrading').length ?? 0);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const started = performance.now();
    const r = await hub.cli(['fleet', 'upgrade', '--version', NEWER, '--max-unavailable', '1', '--ready-deadline', '60s', '--wait', '--timeout', '300s']);
    const seconds = (performance.now() - started) / 1000;
    watching = false;
    await watcher;
    expect(r.stdout).toContain(`complete in`);
    console.log(`fleet upgrade of 3 agents (${CURRENT} -> ${NEWER}, maxUnavailable 1): ${seconds.toFixed(1)} s`);

    const u = await upgradeOf(`agent-${NEWER.replace(/\./g, '-')}`);
    expect(u.status?.phase).toBe('Complete');
    expect(u.status?.nodes?.map((n) => n.phase)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
    expect(most).toBe(1);
    const nodes = await hub.json<{ items: NodeJson[] }>(['get', 'nodes']);
    for (const n of nodes.items.filter((x) => NODES.includes(x.metadata.name))) expect(n.metadata.labels?.['drover.io/agent-version']).toBe(NEWER);
    for (const node of NODES) {
      const prefix = prefixes.get(node)!;
      expect(await readlink(join(prefix, 'current'))).toBe(join('versions', NEWER));
      expect(await readlink(join(prefix, 'previous'))).toBe(join('versions', CURRENT));
      await expect(readFile(join(prefix, 'upgrade-trial.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    }
    // the containers were adopted, not restarted
    const after = await pods();
    expect(after.map((c) => c?.containerID)).toEqual(before.map((c) => c?.containerID));
    expect(after.map((c) => c?.state?.running?.startedAt)).toEqual(before.map((c) => c?.state?.running?.startedAt));
    const status = await hub.cli(['fleet', 'upgrade', 'status']);
    expect(status.stdout).toContain('Complete');
  }, 400_000);

  it('a broken version rolls back on its own on the first node, and the upgrade is Failed', async () => {
    const r = await hub.cli(['fleet', 'upgrade', '--version', BROKEN, '--max-unavailable', '1', '--ready-deadline', '10s', '--wait', '--timeout', '240s'], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('failed');
    const u = await upgradeOf(`agent-${BROKEN.replace(/\./g, '-')}`);
    expect(u.status?.phase).toBe('Failed');
    const [first, ...rest] = u.status?.nodes ?? [];
    expect(first).toMatchObject({ name: NODES[0], phase: 'Failed' });
    expect(first?.message).toContain(`rolled back to ${NEWER}`);
    expect(rest.map((n) => n.phase)).toEqual(['Pending', 'Pending']);
    const prefix = prefixes.get(NODES[0]!)!;
    expect(await readlink(join(prefix, 'current'))).toBe(join('versions', NEWER));
    const rollback = JSON.parse(await readFile(join(prefix, 'last-rollback.json'), 'utf8')) as { version: string; restoredVersion: string; reason: string };
    expect(rollback).toMatchObject({ version: BROKEN, restoredVersion: NEWER, reason: expect.stringContaining('exited with code 3') });
    // the rolled-back agent is up again on the version before
    await waitFor('the first node Ready on the version before', async () => {
      const n = await hub.json<NodeJson>(['get', 'node', NODES[0]!]);
      return n.metadata.labels?.['drover.io/agent-version'] === NEWER && n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 60_000);
  }, 300_000);
});
