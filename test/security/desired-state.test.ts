/**
 * Issue 12, finding 2. Attack (a bad day): the agent's stored desired set, desired.json, is cut short,
 * changed into other valid JSON, or gone when the agent starts; once with the hub reachable, once with the
 * hub down for 20 s. Before: the agent stopped every pod on the node at once and killed them 30 s later,
 * although the hub's set came 1.4 s after start. Expected (as the kubelet, which waits for its sources
 * before it removes a pod): the containers keep running, untouched, until the hub's set arrives; then the
 * node is reconciled against it (here: the same pods, so nothing changes). Observed: below; how long the
 * agent held is printed as a CHAOS-FIGURE line.
 *
 * Real processes: a `drover hub` on fixed ports, one `drover agent` on Docker (--no-pod-network).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { figure, restartAgent, startHubAt } from '../chaos/support.js';
import { cleanup, runtimeContainers, startAgent, sleepPodManifest, waitFor, type Proc, type TestHub } from '../e2e/support.js';

const NODE = 'trust-desired';
const POD = 'trust-desired-pod';
const HTTP_PORT = 18731;
const MQTT_PORT = 18732;

const MANIFEST = sleepPodManifest({ name: POD, node: NODE });

/** The pod's container: id, running, when it started (a restart or a replacement changes the last two). */
async function containerState(): Promise<{ id: string; running: boolean; startedAt: string } | undefined> {
  const [id] = await runtimeContainers('docker', POD);
  if (!id) return undefined;
  const r = await execa('docker', ['inspect', '-f', '{{.State.Running}} {{.State.StartedAt}}', id], { reject: false });
  if (r.exitCode !== 0) return undefined;
  const [running, startedAt] = r.stdout.trim().split(' ');
  return { id, running: running === 'true', startedAt: startedAt! };
}

/** Samples the container every 200 ms until stopped; everything it saw that differs from `first`. */
function watchContainer(first: { id: string; startedAt: string }): { stop(): Promise<{ samples: number; changes: string[] }> } {
  let stopped = false;
  let samples = 0;
  const changes: string[] = [];
  const loop = (async () => {
    while (!stopped) {
      const s = await containerState();
      samples++;
      if (!s) changes.push('gone');
      else if (!s.running) changes.push(`${s.id} not running`);
      else if (s.id !== first.id || s.startedAt !== first.startedAt) changes.push(`${s.id} started ${s.startedAt}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { samples, changes };
    },
  };
}

describe("a damaged or missing desired.json never stops the node's pods (real hub and agent, Docker)", () => {
  let base: string;
  let hub: TestHub;
  let agent: Proc;
  let first: { id: string; startedAt: string };
  const dataDir = () => join(base, `agent-${NODE}`);
  const desiredPath = () => join(dataDir(), 'desired.json');

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'drover-trust-desired-'));
    hub = await startHubAt(base, HTTP_PORT, MQTT_PORT);
    const token = (await hub.cli(['token', 'create', '--ttl', '10m'])).stdout.trim();
    agent = await startAgent(hub, NODE, 'docker', token);
    await hub.cli(['apply', '-f', '-'], { input: MANIFEST });
    first = await waitFor('the pod running', async () => {
      const s = await containerState();
      return s?.running ? s : undefined;
    }, 120_000);
    await waitFor('a sealed desired.json', async () => (await readFile(desiredPath(), 'utf8').catch(() => '')).startsWith('drover-state v1 '), 30_000);
  }, 240_000);

  afterAll(async () => {
    await hub?.cli(['delete', 'pod', POD, '--grace-period', '0'], { reject: false }).catch(() => undefined);
    await waitFor('the pod removed', async () => (await runtimeContainers('docker', POD)).length === 0, 30_000).catch(() => undefined);
    await agent?.stop();
    await hub?.stop();
    for (const id of await runtimeContainers('docker', POD).catch(() => [])) await execa('docker', ['rm', '-f', id], { reject: false });
    if (base) await cleanup(base);
  });

  const damages: { what: string; damage: (text: string) => Promise<void> }[] = [
    { what: 'cut short', damage: (text) => writeFile(desiredPath(), text.slice(0, Math.floor(text.length / 2))) },
    // still valid JSON, and still a desired set: only the checksum tells
    { what: 'changed into another valid set (no pods)', damage: (text) => writeFile(desiredPath(), text.replace(/"pods":\[.*\],"config"/s, '"pods":[],"config"')) },
    { what: 'missing', damage: () => rm(desiredPath()) },
  ];

  for (const { what, damage } of damages) {
    it(`desired.json ${what}, hub reachable: the container keeps running and the hub's set is taken`, async () => {
      await agent.stop();
      await damage(await readFile(desiredPath(), 'utf8'));
      const watch = watchContainer(first);
      const started = Date.now();
      agent = restartAgent(dataDir(), NODE, 'docker', hub.env);
      await waitFor('the hub\'s set stored again', async () => (await readFile(desiredPath(), 'utf8').catch(() => '')).includes(POD) && agent.output().includes('stored a new desired set'), 60_000);
      const heldMs = Date.now() - started;
      // a few more resyncs after the set came: nothing changes either
      await new Promise((r) => setTimeout(r, 3000));
      const { samples, changes } = await watch.stop();
      figure(`desired.json ${what}: agent start to the hub's set`, heldMs, 'ms');
      expect(samples).toBeGreaterThan(5);
      expect(changes).toEqual([]);
      if (what !== 'missing') expect(agent.output()).toMatch(/stored desired state is corrupt/);
      expect(agent.output()).toMatch(/no usable stored desired set: waiting for the hub/);
    }, 120_000);
  }

  it('desired.json cut short and the hub down for 20 s: the container keeps running all along', async () => {
    await agent.stop();
    await hub.stop();
    const text = await readFile(desiredPath(), 'utf8');
    await writeFile(desiredPath(), text.slice(0, 100));
    const watch = watchContainer(first);
    agent = restartAgent(dataDir(), NODE, 'docker', hub.env);
    await new Promise((r) => setTimeout(r, 20_000));
    const during = await watch.stop();
    expect(during.changes).toEqual([]);
    const watchAfter = watchContainer(first);
    hub = await startHubAt(base, HTTP_PORT, MQTT_PORT);
    await waitFor('the hub\'s set stored again', async () => (await readFile(desiredPath(), 'utf8').catch(() => '')).includes(POD), 90_000);
    await new Promise((r) => setTimeout(r, 3000));
    const after = await watchAfter.stop();
    figure('desired.json cut short, hub down 20 s: container samples, changes', `${during.samples + after.samples}, ${during.changes.length + after.changes.length}`);
    expect(after.changes).toEqual([]);
  }, 180_000);
});
