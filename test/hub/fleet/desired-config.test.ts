import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { configRefsOf, podConfigRefs, toConfigData } from '../../../hub/fleet/desired-config.js';
import { buildDesiredSet } from '../../../hub/fleet/desired-set.js';
import { desiredSetMessageSchema, joinReplyMessageSchema, type DesiredSetMessage, type NodeStatusMessage } from '../../../protocol/messages.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { topics } from '../../../protocol/topics.js';
import { eventually } from '../broker/helpers.js';
import { connectTracked, send, startHarness, type Harness } from './harness.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const SECRET_VALUE = 'cfg-fleet-secret-value-42';

function configPod(name: string, nodeName: string | undefined, spec: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      containers: [
        {
          name: 'main',
          image: 'drover.local/busybox:test',
          env: [
            { name: 'A', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'greeting' } } },
            { name: 'P', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
            { name: 'PLAIN', value: 'x' },
          ],
          envFrom: [{ configMapRef: { name: 'env-config' } }, { prefix: 'S_', secretRef: { name: 'env-secret' } }],
        },
      ],
      volumes: [
        { name: 'cfg', configMap: { name: 'vol-config' } },
        { name: 'sec', secret: { secretName: 'app-secret' } },
      ],
      ...spec,
    },
  };
}

describe('desired config (pure)', () => {
  it('collects every ConfigMap/Secret a pod references, once, in a stable order', () => {
    expect(podConfigRefs(configPod('p', 'n1')).map((r) => `${r.kind}/${r.name}`)).toEqual([
      'ConfigMap/app-config',
      'ConfigMap/env-config',
      'ConfigMap/vol-config',
      'Secret/app-secret',
      'Secret/env-secret',
    ]);
    const plain: Pod = { ...configPod('q', 'n1'), spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'X', value: '1' }] }] } };
    expect(podConfigRefs(plain)).toEqual([]);
    expect(configRefsOf([configPod('p', 'n1'), configPod('q', 'n1')])).toHaveLength(5);
  });

  it('encodes ConfigMap values as base64 and passes Secret data and binaryData through', () => {
    expect(
      toConfigData({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'ns' }, data: { k: 'héllo' }, binaryData: { b: b64('\x00\x01') } }),
    ).toEqual({ kind: 'ConfigMap', namespace: 'ns', name: 'c', data: { k: b64('héllo'), b: b64('\x00\x01') } });
    expect(toConfigData({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { k: b64('v') } })).toEqual({
      kind: 'Secret',
      namespace: 'default',
      name: 's',
      data: { k: b64('v') },
    });
  });

  it('carries no config in the set of a node with no pods', () => {
    const config = [{ kind: 'Secret' as const, namespace: 'default', name: 's', data: {} }];
    expect(buildDesiredSet('n1', [], 1, true, () => 0, config).config).toEqual([]);
    expect(buildDesiredSet('n1', [configPod('p', 'n1')], 1, true, () => 0, config).config).toEqual(config);
  });
});

function statusMessage(): NodeStatusMessage {
  return {
    v: 1,
    type: 'nodeStatus',
    sentAt: new Date().toISOString(),
    status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '7Gi', pods: '110' } },
  };
}

/** Join `name` through the real join protocol and connect with its own credentials, subscribed to its desired topic. */
async function nodeClient(h: Harness, name: string): Promise<{ client: MqttClient; sets: DesiredSetMessage[] }> {
  h.auth.addJoinToken(`token-${name}`);
  const j = await connectTracked(h, { username: 'join', password: `token-${name}`, clientId: `dev-${name}` });
  const replies: unknown[] = [];
  j.on('message', (_t, payload) => replies.push(JSON.parse(payload.toString())));
  await j.subscribeAsync(topics.joinReply(`dev-${name}`), { qos: 1 });
  await send(j, topics.joinRequest(`dev-${name}`), { v: 1, type: 'joinRequest', sentAt: new Date().toISOString(), nodeName: name });
  const reply = joinReplyMessageSchema.parse(await eventually(() => replies[0]));
  await j.endAsync();
  if (!reply.ok) throw new Error(reply.error);
  const client = await connectTracked(h, { username: reply.username, password: reply.password, clientId: `node-${name}` });
  await send(client, topics.nodeStatus(name), statusMessage());
  const sets: DesiredSetMessage[] = [];
  client.on('message', (topic, payload) => {
    if (topic.endsWith('/desired')) sets.push(desiredSetMessageSchema.parse(JSON.parse(payload.toString())));
  });
  await client.subscribeAsync(topics.nodeDesired(name), { qos: 1 });
  return { client, sets };
}

describe('desired sets carry the config their pods use', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('sends a node exactly its pods’ ConfigMaps/Secrets, republishes on change, and never sends them to another node', async () => {
    const a = await nodeClient(h, 'cfg-a');
    const b = await nodeClient(h, 'cfg-b');
    await h.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'default' }, data: { greeting: 'hi' } });
    await h.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'vol-config', namespace: 'default' }, data: { 'a.conf': 'x=1' } });
    await h.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unused', namespace: 'default' }, data: { k: 'v' } });
    await h.store.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-secret', namespace: 'default' }, data: { password: b64(SECRET_VALUE) } });
    await h.store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'plain', namespace: 'default' }, spec: { nodeName: 'cfg-b', containers: [{ name: 'c', image: 'i' }] } });
    await h.store.create(configPod('web', 'cfg-a'));

    const withConfig = await eventually(() => a.sets.find((s) => s.pods.length === 1 && s.config.length > 0));
    // env-config and env-secret do not exist: not sent (the agent reports them missing)
    expect(withConfig.config.map((c) => `${c.kind}/${c.name}`)).toEqual(['ConfigMap/app-config', 'ConfigMap/vol-config', 'Secret/app-secret']);
    expect(withConfig.config.find((c) => c.name === 'app-secret')?.data).toEqual({ password: b64(SECRET_VALUE) });
    expect(withConfig.config.find((c) => c.name === 'app-config')?.data).toEqual({ greeting: b64('hi') });

    // A change to a referenced ConfigMap republishes the node's set with a higher generation.
    const cm = (await h.store.get({ kind: 'ConfigMap', namespace: 'default', name: 'app-config' }))!;
    await h.store.update({ ...cm, data: { greeting: 'hello again' } } as typeof cm);
    const changed = await eventually(() => a.sets.find((s) => s.config.some((c) => c.data.greeting === b64('hello again'))));
    expect(changed.generation).toBeGreaterThan(withConfig.generation);

    // Creating a referenced Secret that was missing adds it.
    await h.store.create({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'env-secret', namespace: 'default' }, data: { token: b64('t') } });
    await eventually(() => a.sets.find((s) => s.config.some((c) => c.name === 'env-secret')));

    // A change to an unreferenced ConfigMap sends nothing new.
    const before = a.sets.length;
    const unused = (await h.store.get({ kind: 'ConfigMap', namespace: 'default', name: 'unused' }))!;
    await h.store.update({ ...unused, data: { k: 'v2' } } as typeof unused);
    await h.fleet.flushDesired();
    expect(a.sets.length).toBe(before);

    // The other node got its own pod and never any config.
    await eventually(() => b.sets.find((s) => s.pods.length === 1));
    await h.fleet.flushDesired();
    expect(b.sets.every((s) => s.config.length === 0)).toBe(true);
    // Nor can it read the first node's topic.
    const stolen: string[] = [];
    b.client.on('message', (topic) => stolen.push(topic));
    await b.client.subscribeAsync(topics.nodeDesired('cfg-a'), { qos: 1 }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(stolen.filter((t) => t === topics.nodeDesired('cfg-a'))).toEqual([]);

    // Deleting the pod drops the config from the set.
    await h.store.delete({ kind: 'Pod', namespace: 'default', name: 'web' });
    const empty = await eventually(() => a.sets.find((s) => s.generation > changed.generation && s.pods.length === 0));
    expect(empty.config).toEqual([]);

    // Values never reach the hub's logs.
    const logText = JSON.stringify(h.logs);
    expect(logText).not.toContain(SECRET_VALUE);
    expect(logText).not.toContain(b64(SECRET_VALUE));
  });
});
