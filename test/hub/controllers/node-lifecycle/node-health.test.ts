/**
 * Node health with the real fleet in front of it: an agent's last will and a lease gone stale make the
 * node Ready=Unknown (hub/controllers/node-lifecycle/node-health.ts, fed by hub/fleet and hub/leases).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topics } from '../../../../protocol/topics.js';
import { eventually } from '../../broker/helpers.js';
import { startHarness, type Harness } from '../../fleet/harness.js';
import { connectNode, enrolledNode, getNode, ready, statusMessage } from '../../fleet/nodes.js';
import type { Node } from '../../../../protocol/objects/node.js';

const condition = (node: Node | undefined, type: string) => node?.status?.conditions?.find((c) => c.type === type);
import { send } from '../../fleet/harness.js';

describe('node health', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it("marks the node Ready=Unknown when its last will arrives", async () => {
    const { client } = await enrolledNode(h, 'pi-1');
    client.stream.destroy();
    const node = await eventually(async () => {
      const n = await getNode(h, 'pi-1');
      return ready(n)?.status === 'Unknown' ? n : undefined;
    });
    expect(ready(node)).toMatchObject({ reason: 'NodeStatusUnknown', message: 'agent went offline (last will)' });
  });

  it('ignores the last will of a connection replaced by a reconnecting agent', async () => {
    const { password } = await enrolledNode(h, 'pi-1');
    const wills: boolean[] = [];
    h.broker.subscribe(topics.nodePresence('pi-1'), (_t, _p, meta) => void wills.push(meta.lastWill));
    // Same client id again: aedes closes the old connection, whose will is published.
    const again = await connectNode(h, 'pi-1', password);
    expect(again.connected).toBe(true);
    await eventually(() => wills.length > 0);
    expect(wills).toEqual([true]);
    await h.fleet.idle();
    expect(ready(await getNode(h, 'pi-1'))?.status).toBe('True');
    expect(h.logs.some((l) => String(l.msg).startsWith('last will of a replaced connection ignored'))).toBe(true);
  });

  it('marks a node Ready=Unknown when its status goes stale', async () => {
    await enrolledNode(h, 'pi-1');
    h.clock.advance(10_000);
    expect(await h.health.check()).toEqual([]);
    h.clock.advance(6_000);
    expect(await h.health.check()).toEqual(['pi-1']);
    expect(ready(await getNode(h, 'pi-1'))).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'status not updated for 16s',
    });
  });

  it("turns the conditions the node reported Unknown with Ready, so what a silent node last claimed never stands", async () => {
    const { client } = await enrolledNode(h, 'pi-1');
    await send(client, topics.nodeStatus('pi-1'), statusMessage({ conditions: [{ type: 'MemoryPressure', status: 'True' }, { type: 'DiskPressure', status: 'False' }] }));
    await h.fleet.idle();
    expect(condition(await getNode(h, 'pi-1'), 'MemoryPressure')?.status).toBe('True');
    h.clock.advance(16_000);
    expect(await h.health.check()).toEqual(['pi-1']);
    const node = await getNode(h, 'pi-1');
    for (const type of ['Ready', 'MemoryPressure', 'DiskPressure']) {
      expect(condition(node, type)).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'status not updated for 16s' });
    }
    // a condition the node never reported is not made up
    expect(condition(node, 'PIDPressure')).toBeUndefined();
  });
});

describe('node health and heartbeats', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const heartbeat = { v: 1 as const, type: 'heartbeat' as const, sentAt: new Date().toISOString(), usage: { cpuPercent: 3, memoryUsedBytes: 42, timestamp: new Date().toISOString() } };

  it('a heartbeat renews the lease and keeps the node Ready without writing the store', async () => {
    const { client } = await enrolledNode(h, 'pi-1');
    const before = (await getNode(h, 'pi-1'))!.metadata.resourceVersion;
    for (let i = 0; i < 4; i++) {
      h.clock.advance(5_000);
      await send(client, topics.nodeHeartbeat('pi-1'), heartbeat);
      await h.fleet.idle();
      expect(await h.health.check()).toEqual([]);
    }
    expect(h.leases.get('pi-1')?.usage?.memoryUsedBytes).toBe(42);
    expect((await getNode(h, 'pi-1'))!.metadata.resourceVersion).toBe(before);
    expect(ready(await getNode(h, 'pi-1'))?.status).toBe('True');
  });

  it('a node marked Unknown while connected is Ready again at its next heartbeat', async () => {
    const { client } = await enrolledNode(h, 'pi-1');
    h.clock.advance(16_000);
    expect(await h.health.check()).toEqual(['pi-1']);
    expect(ready(await getNode(h, 'pi-1'))?.status).toBe('Unknown');
    await send(client, topics.nodeHeartbeat('pi-1'), heartbeat);
    await eventually(async () => ready(await getNode(h, 'pi-1'))?.status === 'True');
    expect(ready(await getNode(h, 'pi-1'))).toMatchObject({ reason: 'KubeletReady' });
  });
});

describe('node health timer', () => {
  it('checks liveness on its own with a short interval', async () => {
    const h = await startHarness({ health: { staleAfterMs: 1000, intervalMs: 20 } });
    try {
      await enrolledNode(h, 'pi-1');
      h.clock.advance(1500);
      await eventually(async () => ready(await getNode(h, 'pi-1'))?.status === 'Unknown');
    } finally {
      await h.close();
    }
  });
});
