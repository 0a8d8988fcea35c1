/**
 * Disk trouble, simulated with small tmpfs mounts filled to the last byte:
 *   - the agent's data dir: an agent restarted on a full disk comes up, reports DiskPressure=True
 *     (shown by `drover describe node`), keeps its state files intact, and reports False once freed;
 *   - the hub's data dir: API writes get a clear 5xx Status (InternalError naming the full disk), reads
 *     keep working, writes work again once space is freed, and the database passes integrity_check.
 */
import Database from 'better-sqlite3';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  api,
  cleanup,
  condition,
  figure,
  fillDisk,
  joinAgent,
  mountTmpfs,
  restartAgent,
  startHub,
  unmount,
  waitFor,
  type NodeJson,
  type Proc,
  type TestHub,
} from './support.js';

const NODE = 'ch-disk';

interface StatusJson {
  kind?: string;
  reason?: string;
  message?: string;
  code?: number;
}

describe('disk full', () => {
  let base: string;
  let hubDir: string;
  let agentDir: string;
  let hub: TestHub | undefined;
  let agent: Proc | undefined;

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'drover-chaos-disk-'));
    hubDir = join(base, 'hub');
    agentDir = join(base, `agent-${NODE}`);
    await mountTmpfs(hubDir, '2m');
    await mountTmpfs(agentDir, '2m');
    hub = await startHub([], base);
  });

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop();
    await unmount(agentDir);
    await unmount(hubDir);
    if (base) await cleanup(base);
  });

  const node = async () => (await hub!.json<{ items: NodeJson[] }>(['get', 'nodes'])).items.find((n) => n.metadata.name === NODE);

  it('agent: restarted on a full data dir it reports DiskPressure, keeps its state, recovers when freed', async () => {
    agent = await joinAgent(hub!, agentDir, NODE, 'docker');
    await waitFor('node Ready', async () => condition(await node(), 'Ready') === 'True', 60_000);
    expect(condition(await node(), 'DiskPressure')).toBe('False');
    await agent.stop();
    const credentials = await readFile(join(agentDir, 'credentials.json'), 'utf8');

    const filler = await fillDisk(agentDir);
    agent = restartAgent(agentDir, NODE, 'docker', hub!.env);
    const filledAt = Date.now();
    await waitFor('DiskPressure=True', async () => condition(await node(), 'DiskPressure') === 'True', 60_000);
    figure('disk-full.agent-disk-pressure-reported', Date.now() - filledAt, 'ms');
    const described = (await hub!.cli(['describe', 'node', NODE])).stdout;
    expect(described).toMatch(/DiskPressure\s+True/);
    expect(agent.child.exitCode).toBeNull();
    expect(await readFile(join(agentDir, 'credentials.json'), 'utf8')).toBe(credentials);

    await rm(filler);
    const freedAt = Date.now();
    await waitFor('DiskPressure=False', async () => condition(await node(), 'DiskPressure') === 'False', 60_000);
    figure('disk-full.agent-disk-pressure-cleared', Date.now() - freedAt, 'ms');
    expect(condition(await node(), 'Ready')).toBe('True');
  }, 240_000);

  it('hub: writes fail with a clear 5xx, reads keep working, writes resume after freeing, no corruption', async () => {
    const token = await adminToken(hub!);
    const create = (name: string, size: number) =>
      api<StatusJson>(hub!, token, 'POST', '/api/v1/namespaces/default/configmaps', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name },
        data: { blob: 'x'.repeat(size) },
      });
    expect((await create('ch-disk-before', 10)).status).toBe(201);

    const filler = await fillDisk(hubDir);
    // the WAL may still have room for a little: write until the disk says no
    let refused: { status: number; body: StatusJson } | undefined;
    const acknowledged = ['ch-disk-before'];
    for (let i = 0; i < 40 && !refused; i++) {
      const r = await create(`ch-disk-full-${i}`, 100_000);
      if (r.status === 201) acknowledged.push(`ch-disk-full-${i}`);
      else refused = r;
    }
    expect(refused?.status).toBeGreaterThanOrEqual(500);
    expect(refused?.body.kind).toBe('Status');
    expect(refused?.body.reason).toBe('InternalError');
    expect(refused?.body.message).toMatch(/disk full/);
    figure('disk-full.hub-writes-accepted-after-fill', acknowledged.length - 1);

    // reads keep working
    const read = await api<{ metadata: { name: string } }>(hub!, token, 'GET', '/api/v1/namespaces/default/configmaps/ch-disk-before');
    expect(read.status).toBe(200);
    expect((await api(hub!, token, 'GET', '/api/v1/namespaces/default/configmaps')).status).toBe(200);
    expect(hub!.proc.child.exitCode).toBeNull();

    await rm(filler);
    await waitFor('writes to work again', async () => (await create('ch-disk-after', 10)).status === 201, 30_000);
    acknowledged.push('ch-disk-after');

    await agent?.stop();
    agent = undefined;
    await hub!.stop();
    const db = new Database(join(hubDir, 'state.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
    hub = await startHub([], base);
    const token2 = await adminToken(hub);
    const list = await api<{ items: { metadata: { name: string } }[] }>(hub, token2, 'GET', '/api/v1/namespaces/default/configmaps');
    const names = list.body.items.map((c) => c.metadata.name);
    for (const name of acknowledged) expect(names).toContain(name);
  }, 240_000);
});
