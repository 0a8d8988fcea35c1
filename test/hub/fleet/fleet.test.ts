import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNetworkSetStore } from '../../../agent/link/network-set-store.js';
import { silentLogger } from '../../../protocol/logger.js';
import { joinReplyMessageSchema, type JoinReplyMessage, type NetworkSetMessage, type PodStatusMessage } from '../../../protocol/messages.js';
import { topics } from '../../../protocol/topics.js';
import { connectRefused, eventually } from '../broker/helpers.js';
import { connectTracked, send, startHarness, type Harness } from './harness.js';
import { connectNode, desiredSets, enrolledNode, getNode, getPod, podObject, ready, requestJoin, sentAt, statusMessage } from './nodes.js';

describe('fleet', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('joins a device, creates its Node, and turns a status report into a Ready Node with its facts', async () => {
    h.auth.addJoinToken('tok-secret', true);
    const reply = await requestJoin(h, 'dev-1', 'tok-secret', 'pi-1');
    expect(reply).toMatchObject({ ok: true, nodeName: 'pi-1', username: 'node:pi-1' });
    if (!reply.ok) return;
    const created = await getNode(h, 'pi-1');
    expect(created?.metadata.labels).toEqual({ 'kubernetes.io/hostname': 'pi-1' });
    expect(ready(created)).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated' });

    // The single-use token was spent: joining again with it is refused at connect.
    expect(await h.auth.verifyJoinToken('tok-secret')).toEqual({ ok: false, reason: 'used' });

    const node = await connectNode(h, 'pi-1', reply.password);
    await send(node, topics.nodeStatus('pi-1'), statusMessage());
    const first = await eventually(async () => {
      const n = await getNode(h, 'pi-1');
      return ready(n)?.status === 'True' ? n : undefined;
    });
    expect(ready(first)).toMatchObject({ reason: 'KubeletReady', lastHeartbeatTime: new Date(h.clock.now).toISOString() });
    expect(first.status?.capacity).toEqual({ cpu: '4', memory: '8Gi', pods: '110' });
    expect(first.status?.allocatable?.memory).toBe('7Gi');
    expect(first.status?.nodeInfo?.architecture).toBe('arm64');
    expect(first.status?.addresses).toEqual([{ type: 'InternalIP', address: '10.0.0.5' }]);
    expect(first.status?.usage?.cpuPercent).toBe(12.5);
    expect(first.metadata.labels).toEqual({ 'kubernetes.io/hostname': 'pi-1', 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux' });

    // A later report moves the heartbeat, not the transition time.
    const transition = ready(first)?.lastTransitionTime;
    h.clock.advance(5000);
    await send(node, topics.nodeStatus('pi-1'), statusMessage({ capacity: { cpu: '8', memory: '8Gi', pods: '110' } }));
    const second = await eventually(async () => {
      const n = await getNode(h, 'pi-1');
      return n?.status?.capacity?.cpu === '8' ? n : undefined;
    });
    expect(ready(second)?.lastTransitionTime).toBe(transition);
    expect(ready(second)?.lastHeartbeatTime).toBe(new Date(h.clock.now).toISOString());
  });

  it('refuses a join for a name held by a Ready, connected node, an invalid name, and a spent single-use token', async () => {
    await enrolledNode(h, 'pi-1');
    h.auth.addJoinToken('tok-2');
    const taken = await requestJoin(h, 'dev-2', 'tok-2', 'pi-1');
    expect(taken.ok).toBe(false);
    expect(!taken.ok && taken.error).toMatch(/pi-1.*taken/);

    const invalid = await requestJoin(h, 'dev-3', 'tok-2', 'Not_A_Name');
    expect(!invalid.ok && invalid.error).toMatch(/invalid node name/);

    // Two devices connected with the same single-use token: only the first request wins.
    h.auth.addJoinToken('once', true);
    const a = await connectTracked(h, { username: 'join', password: 'once', clientId: 'dev-a' });
    const b = await connectTracked(h, { username: 'join', password: 'once', clientId: 'dev-b' });
    const replies = new Map<string, JoinReplyMessage>();
    for (const [c, id] of [[a, 'dev-a'], [b, 'dev-b']] as const) {
      c.on('message', (_t, p) => replies.set(id, joinReplyMessageSchema.parse(JSON.parse(p.toString()))));
      await c.subscribeAsync(topics.joinReply(id), { qos: 1 });
    }
    await send(a, topics.joinRequest('dev-a'), { v: 1, type: 'joinRequest', sentAt: sentAt(), nodeName: 'pi-a' });
    await send(b, topics.joinRequest('dev-b'), { v: 1, type: 'joinRequest', sentAt: sentAt(), nodeName: 'pi-b' });
    await eventually(() => replies.size === 2);
    expect(replies.get('dev-a')?.ok).toBe(true);
    expect(replies.get('dev-b')).toMatchObject({ ok: false, error: expect.stringMatching(/used/) });
    expect(await getNode(h, 'pi-b')).toBeUndefined();
  });

  it('sets the labels a node asks for at its first join, refuses reserved ones, and keeps what an admin set on a re-join', async () => {
    h.auth.addJoinToken('tok-l');
    const refused = await requestJoin(h, 'dev-l0', 'tok-l', 'pi-l', { site: 'plant-3', 'node-role.kubernetes.io/master': '' });
    expect(refused).toMatchObject({ ok: false, error: expect.stringMatching(/labels refused: node-role\.kubernetes\.io\/master: the kubernetes\.io prefix is reserved/) });
    const bad = await requestJoin(h, 'dev-l1', 'tok-l', 'pi-l', { 'drover.io/agent-version': '9.9.9' });
    expect(!bad.ok && bad.error).toMatch(/drover\.io\/agent-version: the drover\.io prefix is reserved/);
    const invalid = await requestJoin(h, 'dev-l2', 'tok-l', 'pi-l', { site: 'has space' });
    expect(!invalid.ok && invalid.error).toMatch(/labels refused: site: invalid label value/);
    expect(await getNode(h, 'pi-l')).toBeUndefined(); // nothing made for a refused device

    const reply = await requestJoin(h, 'dev-l3', 'tok-l', 'pi-l', { site: 'plant-3', rack: 'a', 'topology.kubernetes.io/zone': 'hall-1' });
    expect(reply.ok).toBe(true);
    expect((await getNode(h, 'pi-l'))?.metadata.labels).toEqual({ 'kubernetes.io/hostname': 'pi-l', site: 'plant-3', rack: 'a', 'topology.kubernetes.io/zone': 'hall-1' });

    // an admin relabels the node; the device is re-flashed with other labels and joins again: only the missing one is added
    const node = (await getNode(h, 'pi-l'))!;
    await h.store.update({ ...node, metadata: { ...node.metadata, labels: { ...node.metadata.labels, site: 'plant-4' } } });
    const again = await requestJoin(h, 'dev-l4', 'tok-l', 'pi-l', { site: 'plant-9', row: '2' });
    expect(again.ok).toBe(true);
    expect((await getNode(h, 'pi-l'))?.metadata.labels).toMatchObject({ site: 'plant-4', rack: 'a', row: '2' });
  });

  it('allows re-joining under an existing name once the old agent is gone', async () => {
    const { client } = await enrolledNode(h, 'pi-1');
    await client.endAsync();
    await eventually(() => !h.broker.isNodeConnected('pi-1'));
    h.auth.addJoinToken('tok-again');
    const again = await requestJoin(h, 'dev-new', 'tok-again', 'pi-1');
    expect(again.ok).toBe(true);
    if (again.ok) await connectNode(h, 'pi-1', again.password);
  });

  it('publishes retained desired sets with increasing generations as pods are bound', async () => {
    const { client } = await enrolledNode(h, 'pi-1');
    const sets = desiredSets(client);
    await client.subscribeAsync(topics.nodeDesired('pi-1'), { qos: 1 });
    const initial = await eventually(() => sets[0]);
    expect(initial).toMatchObject({ node: 'pi-1', pods: [], retained: true, config: [] });

    await h.store.create(podObject('web', 'pi-1'));
    await h.store.create(podObject('elsewhere', 'pi-2'));
    await h.store.create(podObject('unbound', undefined));
    const withWeb = await eventually(() => sets.find((s) => s.pods.length === 1));
    expect(withWeb.pods[0]!.metadata.name).toBe('web');
    expect(withWeb.pods[0]!.status).toBeUndefined();
    expect(withWeb.generation).toBeGreaterThan(initial.generation);

    await h.store.create(podObject('db', 'pi-1'));
    const withBoth = await eventually(() => sets.find((s) => s.pods.length === 2));
    expect(withBoth.generation).toBeGreaterThan(withWeb.generation);
    expect(withBoth.pods.map((p) => p.metadata.name)).toEqual(['db', 'web']);

    // A status-only write changes nothing the node runs: no new set.
    const web = (await getPod(h, 'web'))!;
    await h.store.update({ ...web, status: { phase: 'Running' } });
    // A pod being deleted stays in the set with its deletion (the agent stops it with that grace).
    const db = (await getPod(h, 'db'))!;
    await h.store.update({ ...db, metadata: { ...db.metadata, deletionTimestamp: new Date(h.clock.now).toISOString(), deletionGracePeriodSeconds: 3 } });
    const afterDelete = await eventually(() => sets.find((s) => s.generation > withBoth.generation));
    expect(afterDelete.pods.map((p) => [p.metadata.name, p.metadata.deletionGracePeriodSeconds])).toEqual([['db', 3], ['web', undefined]]);
    await h.fleet.flushDesired();
    expect(sets.filter((s) => s.generation > withBoth.generation)).toHaveLength(1);

    // A fresh subscription gets the latest set, retained.
    await client.unsubscribeAsync(topics.nodeDesired('pi-1'));
    const before = sets.length;
    await client.subscribeAsync(topics.nodeDesired('pi-1'), { qos: 1 });
    const retained = await eventually(() => sets[before]);
    expect(retained).toMatchObject({ retained: true, generation: afterDelete.generation });
  });

  it('publishes an empty set when the Node is deleted', async () => {
    const { client } = await enrolledNode(h, 'pi-1');
    await h.store.create(podObject('web', 'pi-1'));
    const sets = desiredSets(client);
    await client.subscribeAsync(topics.nodeDesired('pi-1'), { qos: 1 });
    await eventually(() => sets.find((s) => s.pods.length === 1));
    await h.store.delete({ kind: 'Node', namespace: '', name: 'pi-1' });
    const empty = await eventually(() => sets.find((s, i) => i > 0 && s.pods.length === 0));
    expect(empty.node).toBe('pi-1');
  });

  it('writes pod status reports, ignores reports for other nodes or old uids, and completes graceful deletion on a full report', async () => {
    const { client } = await enrolledNode(h, 'pi-1');
    const web = await h.store.create(podObject('web', 'pi-1'));
    const other = await h.store.create(podObject('other', 'pi-2'));
    const report: PodStatusMessage = {
      v: 1,
      type: 'podStatus',
      sentAt: sentAt(),
      generation: 1,
      full: false,
      pods: [
        { namespace: 'default', name: 'web', uid: web.metadata.uid!, status: { phase: 'Running', podIP: '10.88.0.2' } },
        { namespace: 'default', name: 'other', uid: other.metadata.uid!, status: { phase: 'Failed' } },
        { namespace: 'default', name: 'web-old', uid: 'not-a-uid', status: { phase: 'Running' } },
      ],
    };
    await send(client, topics.nodePods('pi-1'), report);
    await eventually(async () => (await getPod(h, 'web'))?.status?.phase === 'Running');
    expect((await getPod(h, 'web'))?.status?.podIP).toBe('10.88.0.2');
    expect((await getPod(h, 'other'))?.status).toBeUndefined();

    // Graceful deletion: the pod is marked, the agent's next full report no longer lists it.
    const current = (await getPod(h, 'web'))!;
    await h.store.update({ ...current, metadata: { ...current.metadata, deletionTimestamp: new Date(h.clock.now).toISOString() } });
    const keep = await h.store.create(podObject('keep', 'pi-1'));
    await send(client, topics.nodePods('pi-1'), {
      ...report,
      full: true,
      pods: [{ namespace: 'default', name: 'keep', uid: keep.metadata.uid!, status: { phase: 'Pending' } }],
    });
    await eventually(async () => (await getPod(h, 'web')) === undefined);
    expect((await getPod(h, 'keep'))?.status?.phase).toBe('Pending');
    expect(await getPod(h, 'other')).toBeDefined();
  });

  it('drops malformed and wrong-schema payloads and keeps working', async () => {
    const { client } = await enrolledNode(h, 'pi-1');
    const before = await getNode(h, 'pi-1');
    await client.publishAsync(topics.nodeStatus('pi-1'), '{not json', { qos: 1 });
    await client.publishAsync(topics.nodeStatus('pi-1'), JSON.stringify({ v: 1, type: 'podStatus', sentAt: sentAt() }), { qos: 1 });
    await client.publishAsync(topics.nodePods('pi-1'), JSON.stringify({ hello: 'world' }), { qos: 1 });
    await client.publishAsync(topics.nodePresence('pi-1'), 'null', { qos: 1 });
    const dropped = await eventually(() => {
      const d = h.logs.filter((l) => l.msg === 'invalid message dropped');
      return d.length === 4 ? d : undefined;
    });
    expect(dropped.map((l) => l.topic)).toEqual([
      topics.nodeStatus('pi-1'),
      topics.nodeStatus('pi-1'),
      topics.nodePods('pi-1'),
      topics.nodePresence('pi-1'),
    ]);
    await h.fleet.idle();
    expect((await getNode(h, 'pi-1'))?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(client.connected).toBe(true);
    h.clock.advance(1000);
    await send(client, topics.nodeStatus('pi-1'), statusMessage({ capacity: { cpu: '2', memory: '1Gi', pods: '10' }, allocatable: { cpu: '2', memory: '1Gi', pods: '10' } }));
    await eventually(async () => (await getNode(h, 'pi-1'))?.status?.capacity?.cpu === '2');
  });

});

describe('fleet network sets', () => {
  it("publishes each node's pod CIDR, its peers with their VXLAN MACs, and the Services it needs", async () => {
    const h = await startHarness();
    try {
      const { client: one } = await enrolledNode(h, 'pi-1');
      const { client: two } = await enrolledNode(h, 'pi-2');
      for (const [name, cidr] of [['pi-1', '10.42.1.0/24'], ['pi-2', '10.42.2.0/24']] as const) {
        const n = (await getNode(h, name))!;
        await h.store.update({ ...n, spec: { ...n.spec, podCIDR: cidr } });
      }
      // pi-2 puts its set together as the agent does: its own part and the shared data (snapshot at a gap)
      const dataDir = await mkdtemp(join(tmpdir(), 'drover-fleet-net-'));
      const store = createNetworkSetStore({ dataDir, nodeName: 'pi-2', logger: silentLogger() });
      store.onResync((on) => void (on ? two.subscribeAsync(topics.clusterNetworkSnapshot(), { qos: 1 }) : two.unsubscribeAsync(topics.clusterNetworkSnapshot())).catch(() => undefined));
      const sets: NetworkSetMessage[] = [];
      two.on('message', (topic, payload) => {
        void store.receive(topic, payload).then((set) => set && sets.push(set));
      });
      await two.subscribeAsync({ [topics.nodeNetwork('pi-2')]: { qos: 1 }, [topics.clusterNetwork()]: { qos: 1 } });
      // pi-1 reports its VXLAN device; pi-2 learns it as its peer
      await send(one, topics.nodeStatus('pi-1'), { ...statusMessage(), network: { vtepMAC: '0a:58:0a:2a:01:00' } });
      // (its own part and the shared data come on topics of their own: the set is whole once both are in)
      const withPeer = await eventually(() => sets.find((s) => s.podCIDR && s.peers[0]?.vtepMAC === '0a:58:0a:2a:01:00'));
      expect(withPeer).toMatchObject({ node: 'pi-2', podCIDR: '10.42.2.0/24', clusterCIDR: '10.42.0.0/16', serviceCIDR: '10.43.0.0/16', clusterDomain: 'cluster.local', mtu: 1450 });
      expect(withPeer.peers).toEqual([{ node: 'pi-1', podCIDR: '10.42.1.0/24', nodeIP: '10.0.0.5', vtepMAC: '0a:58:0a:2a:01:00' }]);
      // a node without pods gets NodePort Services only
      await h.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'internal', namespace: 'default' }, spec: { clusterIP: '10.43.0.2', ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } });
      await h.store.create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'public', namespace: 'default' }, spec: { type: 'NodePort', clusterIP: '10.43.0.3', ports: [{ port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }] } });
      const nodePortOnly = await eventually(() => sets.find((s) => s.services.length > 0));
      expect(nodePortOnly.services.map((s) => s.name)).toEqual(['public']);
      expect(nodePortOnly.services[0]).toMatchObject({ type: 'NodePort', clusterIP: '10.43.0.3', ports: [{ port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }], endpoints: [] });
      // with a pod bound to it, every Service
      await h.store.create(podObject('web', 'pi-2'));
      const all = await eventually(() => sets.find((s) => s.services.length === 2));
      expect(all.services.map((s) => s.name)).toEqual(['internal', 'public']);
      await rm(dataDir, { recursive: true, force: true });
    } finally {
      await h.close();
    }
  });
});

describe('fleet back-pressure', () => {
  it('stops reading a node that sends faster than the hub takes it in, and reads it again once caught up', async () => {
    const h = await startHarness({ fleet: { maxPendingPerNode: 2 } });
    try {
      const { client } = await enrolledNode(h, 'pi-1');
      await Promise.all(Array.from({ length: 20 }, (_, i) => send(client, topics.nodeStatus('pi-1'), statusMessage({ capacity: { cpu: String(i + 1), memory: '1Gi', pods: '10' }, allocatable: { cpu: String(i + 1), memory: '1Gi', pods: '10' } }))));
      await h.fleet.idle();
      expect(h.logs.some((l) => String(l.msg).startsWith('node sends faster than the hub takes it in'))).toBe(true);
      expect(h.logs.some((l) => String(l.msg).startsWith('node caught up'))).toBe(true);
      // nothing was lost: the last report is what the store holds, and the node is still connected
      await eventually(async () => (await getNode(h, 'pi-1'))?.status?.capacity?.cpu === '20');
      expect(client.connected).toBe(true);
    } finally {
      await h.close();
    }
  });
});

describe('fleet restarts', () => {
  it('keeps desired-set generations increasing across a hub restart', async () => {
    const first = await startHarness();
    let lastGeneration: number;
    try {
      const { client } = await enrolledNode(first, 'pi-1');
      await first.store.create(podObject('web', 'pi-1'));
      const sets = desiredSets(client);
      await client.subscribeAsync(topics.nodeDesired('pi-1'), { qos: 1 });
      lastGeneration = (await eventually(() => sets.find((s) => s.pods.length === 1))).generation;
      await first.stopHub();
      await first.store.close();
    } catch (err) {
      await first.close();
      throw err;
    }
    const second = await startHarness({ dir: first.dir, auth: first.auth });
    try {
      const node = await connectNode(second, 'pi-1', await reissue(second));
      const sets = desiredSets(node);
      await node.subscribeAsync(topics.nodeDesired('pi-1'), { qos: 1 });
      const set = await eventually(() => sets[0]);
      expect(set).toMatchObject({ retained: true });
      expect(set.pods.map((p) => p.metadata.name)).toEqual(['web']);
      expect(set.generation).toBeGreaterThanOrEqual(lastGeneration);
    } finally {
      await second.close();
    }
  });
});

async function reissue(h: Harness): Promise<string> {
  return (await h.auth.issueNodeCredential('pi-1')).password;
}

describe('fleet with the real AuthService', () => {
  it('enrols many devices at once with one token; two racing with one single-use token: one wins, the other is issued nothing', async () => {
    const h = await startHarness({ realAuth: true });
    try {
      const { token } = await h.authService!.createJoinToken();
      const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => requestJoin(h, `dev-${i}`, token, `pi-${i}`)));
      expect(replies.every((r) => r.ok)).toBe(true);
      expect((await h.store.list('Node')).items).toHaveLength(20);

      const single = await h.authService!.createJoinToken({ singleUse: true });
      const race = await Promise.all([requestJoin(h, 'dev-a', single.token, 'racer-a'), requestJoin(h, 'dev-b', single.token, 'racer-b')]);
      expect(race.filter((r) => r.ok)).toHaveLength(1);
      const loser = race.find((r) => !r.ok)!;
      expect(loser).toMatchObject({ ok: false });
      if (!loser.ok) expect(loser.error).toMatch(/join token refused/);
      const names = (await h.store.list('Node')).items.map((n) => n.metadata.name);
      expect(names.filter((n) => n.startsWith('racer-'))).toHaveLength(1);
      const credentials = (await h.store.list('NodeCredential')).items.map((c) => c.metadata.name);
      expect(credentials.filter((n) => n.startsWith('racer-'))).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  it('enrols a device with a single-use join token end to end', async () => {
    const h = await startHarness({ realAuth: true });
    try {
      const { token } = await h.authService!.createJoinToken({ singleUse: true });
      const reply = await requestJoin(h, 'dev-1', token, 'pi-1');
      expect(reply).toMatchObject({ ok: true, username: 'node:pi-1' });
      if (!reply.ok) return;
      // The token is spent: the broker refuses it now.
      expect(await connectRefused(h.port, { username: 'join', password: token, clientId: 'dev-2' })).toBe(5);
      expect(await connectRefused(h.port, { username: 'node:pi-1', password: 'wrong', clientId: 'node-pi-1' })).toBe(5);
      const node = await connectNode(h, 'pi-1', reply.password);
      await send(node, topics.nodeStatus('pi-1'), statusMessage());
      await eventually(async () => ready(await getNode(h, 'pi-1'))?.status === 'True');
      const sets = desiredSets(node);
      await node.subscribeAsync(topics.nodeDesired('pi-1'), { qos: 1 });
      await h.store.create(podObject('web', 'pi-1'));
      const set = await eventually(() => sets.find((s) => s.pods.length === 1));
      expect(set.pods[0]!.metadata.name).toBe('web');
    } finally {
      await h.close();
    }
  });
});
