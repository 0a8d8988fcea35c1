/**
 * Node health with the real fleet in front of it: an agent's last will and a lease gone stale make the
 * node Ready=Unknown (hub/controllers/node-lifecycle/node-health.ts, fed by hub/fleet and hub/leases).
 */
import { rm } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topics } from '../../../../protocol/topics.js';
import { eventually } from '../../broker/helpers.js';
import { startHarness, type Harness } from '../../fleet/harness.js';
import { connectNode, enrolledNode, getNode, ready, statusMessage } from '../../fleet/nodes.js';
import { send } from '../../fleet/harness.js';
import { updateWithRetry } from '../../../../hub/store/update-with-retry.js';
import { setCondition } from '../../../../protocol/conditions.js';
import type { Node } from '../../../../protocol/objects/node.js';

const condition = (node: Node | undefined, type: string) => node?.status?.conditions?.find((c) => c.type === type);

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

describe('node health after a hub restart', () => {
  it('gives every node the startup grace to reconnect (not 15 s), a last will of a reconnect that timed out included; a node heard from since is held to 15 s again', async () => {
    const first = await startHarness();
    try {
      await enrolledNode(first, 'pi-1');
      await enrolledNode(first, 'pi-2');
      await first.stopHub();
      await first.store.close();
    } catch (err) {
      await first.close();
      throw err;
    }
    const h = await startHarness({ dir: first.dir, auth: first.auth, health: { startupGraceMs: 60_000 } });
    try {
      // as a crash leaves them (the clean stop above delivered the agents' last wills): Ready
      for (const name of ['pi-1', 'pi-2']) {
        await updateWithRetry<Node>(h.store, { kind: 'Node', namespace: '', name }, (n) => ({
          ...n,
          status: { ...n.status, conditions: setCondition(n.status?.conditions, { type: 'Ready', status: 'True', reason: 'KubeletReady' }, new Date(h.clock.now).toISOString()) },
        }));
      }
      await h.cache.waitFor(await h.store.revision());
      expect(ready(await getNode(h, 'pi-1'))?.status).toBe('True');
      // a reconnect storm takes longer than one status interval: nobody is marked late in it
      h.clock.advance(16_000);
      expect(await h.health.check()).toEqual([]);
      // pi-2 is back, then silent again: the usual 15 s
      h.leases.renew('pi-2', h.clock.now);
      h.clock.advance(16_000);
      expect(await h.health.check()).toEqual(['pi-2']);
      // pi-1's reconnect timed out in the storm before its agent said anything: its last will
      h.leases.end('pi-1', h.clock.now, 'agent went offline (last will)');
      expect(await h.health.check()).toEqual([]);
      await h.health.stop(); // waits for the mark the will would have started
      expect(ready(await getNode(h, 'pi-1'))?.status).toBe('True');
      await h.health.start();
      // pi-1 never came back: marked once the startup grace is over
      h.clock.advance(20_000);
      expect(await h.health.check()).toEqual([]);
      h.clock.advance(10_000);
      expect(await h.health.check()).toEqual(['pi-1']);
      expect(ready(await getNode(h, 'pi-1'))).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'agent went offline (last will)' });
    } finally {
      await h.close();
      await rm(first.dir, { recursive: true, force: true });
    }
  });
});
