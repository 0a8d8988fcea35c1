/**
 * Issue 12, finding 7. Attack (a bad day): the hub's store is restored from a backup taken before 300
 * more writes, once with the whole data dir (the acknowledged-revision mark restored with it) and once
 * with only the database file going back (as a lost WAL leaves it: the mark beside it still says what was
 * acknowledged). Before: generations went backwards, the agent logged "ignoring an older desired set", new
 * pods stayed Pending; a hub whose WAL lost 5 acknowledged creates started without a word. Expected (as
 * etcd's snapshot restore with --bump-revision, and the kubelet taking the apiserver's word): the hub
 * notices (the agent reports a generation ahead of it / the database is below the mark), says so loudly,
 * moves its revision past every generation handed out, and a pod created afterwards runs. Observed: below,
 * with how long the new pod took printed as a CHAOS-FIGURE line.
 *
 * Real processes: a `drover hub` on fixed ports restarted on the same data dir, one `drover agent` on
 * Docker (--no-pod-network).
 */
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, api, figure, startHubAt } from '../chaos/support.js';
import { cleanup, runtimeContainers, startAgent, sleepPodManifest, waitFor, type Proc, type TestHub } from '../e2e/support.js';

const NODE = 'trust-restore';
const HTTP_PORT = 18741;
const MQTT_PORT = 18742;
const DB_FILES = ['state.db', 'state.db-wal', 'state.db-shm'];

const podManifest = (name: string) => sleepPodManifest({ name, node: NODE });

describe('generations survive a restored or shortened store (real hub and agent, Docker)', () => {
  let base: string;
  let hub: TestHub;
  let agent: Proc;
  const hubDir = () => join(base, 'hub');
  const backupDir = () => join(base, 'backup');
  const pods: string[] = [];

  async function phase(name: string): Promise<string | undefined> {
    const r = await hub.cli(['get', 'pod', name, '-o', 'json'], { reject: false });
    return r.exitCode === 0 ? (JSON.parse(r.stdout) as { status?: { phase?: string } }).status?.phase : undefined;
  }
  async function runPod(name: string, timeoutMs = 90_000): Promise<number> {
    pods.push(name);
    const started = Date.now();
    await hub.cli(['apply', '-f', '-'], { input: podManifest(name) });
    await waitFor(`${name} Running`, async () => (await phase(name)) === 'Running', timeoutMs);
    return Date.now() - started;
  }
  async function writeConfigMaps(prefix: string, n: number): Promise<void> {
    const token = await adminToken(hub);
    for (let i = 0; i < n; i++) {
      const r = await api(hub, token, 'POST', '/api/v1/namespaces/default/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${prefix}-${i}` }, data: { i: String(i) } });
      expect(r.status).toBe(201);
    }
  }
  async function backup(files: string[]): Promise<void> {
    await rm(backupDir(), { recursive: true, force: true });
    await mkdir(backupDir());
    for (const f of files) await copyFile(join(hubDir(), f), join(backupDir(), f)).catch(() => undefined);
  }
  async function restore(files: string[]): Promise<void> {
    for (const f of DB_FILES) await rm(join(hubDir(), f), { force: true });
    for (const f of files) await copyFile(join(backupDir(), f), join(hubDir(), f)).catch(() => undefined);
  }

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'drover-trust-restore-'));
    hub = await startHubAt(base, HTTP_PORT, MQTT_PORT);
    const token = (await hub.cli(['token', 'create', '--ttl', '10m'])).stdout.trim();
    agent = await startAgent(hub, NODE, 'docker', token);
    await runPod('restore-a', 120_000);
  }, 240_000);

  afterAll(async () => {
    for (const p of pods) await hub?.cli(['delete', 'pod', p, '--grace-period', '0'], { reject: false }).catch(() => undefined);
    await waitFor('the pods removed', async () => {
      for (const p of pods) if ((await runtimeContainers('docker', p)).length > 0) return false;
      return true;
    }, 30_000).catch(() => undefined);
    await agent?.stop();
    await hub?.stop();
    for (const p of pods) for (const id of await runtimeContainers('docker', p).catch(() => [])) await execa('docker', ['rm', '-f', id], { reject: false });
    if (base) await cleanup(base);
  });

  it('a whole data dir restored from before 300 writes: the hub sees the agent ahead, bumps its revision, and a new pod runs', async () => {
    await hub.stop();
    await backup([...DB_FILES, 'state.db.revision']);
    hub = await startHubAt(base, HTTP_PORT, MQTT_PORT);
    await writeConfigMaps('restore-cm', 300);
    await runPod('restore-b');
    await hub.stop();
    await restore([...DB_FILES, 'state.db.revision']);
    hub = await startHubAt(base, HTTP_PORT, MQTT_PORT);
    // the agent's report that shows it ahead may wait for its reconnect back-off (up to 30 s) and its next full report (30 s)
    const tookMs = await runPod('restore-c', 150_000).catch((err: unknown) => {
      const tail = (s: string) => s.split('\n').slice(-40).join('\n');
      throw new Error(`${String(err)}\n--- hub ---\n${tail(hub.proc.output())}\n--- agent ---\n${tail(agent.output())}`);
    });
    figure('restored data dir: new pod Running after', tookMs, 'ms');
    expect(hub.proc.output()).toMatch(/THE STORE WENT BACK IN TIME/);
    expect(agent.output()).not.toMatch(/THE STORE/); // (the agent has nothing to say but take the new set)
    // restore-b is not in the restored store: the agent removes it, as it should
    await waitFor('restore-b removed from the node', async () => (await runtimeContainers('docker', 'restore-b')).length === 0, 60_000);
    const events = await hub.json<{ items: { reason: string; involvedObject: { name: string } }[] }>(['get', 'events']);
    expect(events.items.some((e) => e.reason === 'RevisionBumped' && e.involvedObject.name === NODE)).toBe(true);
  }, 300_000);

  it('only the database goes back (a lost WAL): the hub says at start how many acknowledged writes are gone, and a new pod runs', async () => {
    await hub.stop();
    await backup(DB_FILES);
    hub = await startHubAt(base, HTTP_PORT, MQTT_PORT);
    await writeConfigMaps('wal-cm', 300);
    await hub.stop();
    await restore(DB_FILES);
    hub = await startHubAt(base, HTTP_PORT, MQTT_PORT);
    const said = /THE STORE IS SHORTER THAN WHAT THIS HUB ACKNOWLEDGED.*?the last (\d+) acknowledged writes are lost/.exec(hub.proc.output());
    expect(said).not.toBeNull();
    figure('database shortened by 300 creates: lost writes reported at start', said![1]!);
    // the 300 creates and what went on beside them (node status, events)
    expect(Number(said![1])).toBeGreaterThanOrEqual(300);
    const tookMs = await runPod('restore-d');
    figure('shortened database: new pod Running after', tookMs, 'ms');
  }, 300_000);
});
