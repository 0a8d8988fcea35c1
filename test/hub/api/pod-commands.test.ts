/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
/**
 * Pod log and exec endpoints through the whole hub path: HTTP API -> node commands -> real aedes
 * broker -> a fake agent (a real MQTT client with node credentials) -> reply -> HTTP answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../../hub/api/index.js';
import { createNodeCommands, type NodeCommandsService } from '../../../hub/fleet/index.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { CommandMessage } from '../../../protocol/messages.js';
import { startFakeAgent } from '../fleet/fake-agent.js';
import { startHarness, type Harness } from '../fleet/harness.js';
import { createFakeAuth, type FakeAuth } from './support.js';

async function putPod(h: Harness, name: string, nodeName?: string): Promise<void> {
  await h.store.create({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'main', image: 'drover.local/busybox:test' }] },
    status: { phase: 'Running' },
  });
}

describe('pod log and exec endpoints', () => {
  let h: Harness;
  let commands: NodeCommandsService;
  let api: ApiServer;
  let bare: ApiServer;
  let auth: FakeAuth;
  let url: string;
  let bareUrl: string;
  let tokens: { admin: string; edit: string; view: string; otherNs: string };
  let agent: { received: CommandMessage[] };

  const call = async (method: string, path: string, o: { token?: string; body?: unknown; base?: string } = {}) => {
    const res = await fetch(`${o.base ?? url}${path}`, {
      method,
      headers: { authorization: `Bearer ${o.token ?? tokens.admin}`, ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      body = text; // text/plain logs
    }
    return { status: res.status, body, contentType: res.headers.get('content-type') };
  };

  beforeAll(async () => {
    h = await startHarness();
    commands = createNodeCommands({ broker: h.broker, logger: silentLogger(), replyTimeoutMs: 300 });
    commands.start();
    auth = createFakeAuth();
    tokens = { admin: auth.issue('admin'), edit: auth.issue('edit'), view: auth.issue('view'), otherNs: auth.issue('edit', 'team-x') };
    api = createApiServer({ store: h.store, auth, logger: silentLogger(), nodeCommands: commands });
    url = `http://127.0.0.1:${(await api.listen('127.0.0.1', 0)).port}`;
    bare = createApiServer({ store: h.store, auth, logger: silentLogger() });
    bareUrl = `http://127.0.0.1:${(await bare.listen('127.0.0.1', 0)).port}`;
    agent = await startFakeAgent(h, 'cw-api-1', (cmd) => {
      if (cmd.command === 'deleteVolume') return { ok: false, error: 'not a pod command' };
      if (cmd.pod === 'refused') return { ok: false, error: 'container main of pod default/refused has not been created yet' };
      if (cmd.pod === 'silent') return undefined;
      if (cmd.command === 'logs') return { output: `line1\nline2\n(${cmd.container ?? ''}:${cmd.tailLines ?? 'all'})\n` };
      return { output: `ran ${cmd.argv.join(' ')}\n`, exitCode: cmd.argv[0] === 'false' ? 1 : 0 };
    });
    await putPod(h, 'web', 'cw-api-1');
    await putPod(h, 'refused', 'cw-api-1');
    await putPod(h, 'silent', 'cw-api-1');
    await putPod(h, 'pending');
    await putPod(h, 'orphan', 'cw-api-gone');
  });
  afterAll(async () => {
    await api.close();
    await bare.close();
    commands.stop();
    await h.close();
  });

  it('GET log returns the agent output as text/plain, passing container and tailLines', async () => {
    const r = await call('GET', '/api/v1/namespaces/default/pods/web/log?container=main&tailLines=2');
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^text\/plain/);
    expect(r.body).toBe('line1\nline2\n(main:2)\n');
    expect(agent.received.at(-1)).toMatchObject({ command: 'logs', namespace: 'default', pod: 'web', container: 'main', tailLines: 2 });
  });

  it('view may read logs but not exec; edit may exec; a token of another namespace may do neither', async () => {
    expect((await call('GET', '/api/v1/namespaces/default/pods/web/log', { token: tokens.view })).status).toBe(200);
    const denied = await call('POST', '/api/v1/namespaces/default/pods/web/exec', { token: tokens.view, body: { command: ['id'] } });
    expect(denied.status).toBe(403);
    expect(denied.body.message).toContain('cannot create resource "pods/exec"');
    const ok = await call('POST', '/api/v1/namespaces/default/pods/web/exec', { token: tokens.edit, body: { command: ['cat', '/www/index.html'], container: 'main' } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ kind: 'ExecResult', output: 'ran cat /www/index.html\n', exitCode: 0 });
    expect(agent.received.at(-1)).toMatchObject({ command: 'exec', argv: ['cat', '/www/index.html'], container: 'main' });
    expect((await call('GET', '/api/v1/namespaces/default/pods/web/log', { token: tokens.otherNs })).status).toBe(403);
  });

  it('exec reports a non-zero exit code as a successful answer', async () => {
    const r = await call('POST', '/api/v1/namespaces/default/pods/web/exec', { body: { command: ['false'] } });
    expect(r.status).toBe(200);
    expect(r.body.exitCode).toBe(1);
  });

  it('answers 404 for a missing pod and 400 for an unscheduled one', async () => {
    expect((await call('GET', '/api/v1/namespaces/default/pods/nope/log')).status).toBe(404);
    const r = await call('GET', '/api/v1/namespaces/default/pods/pending/log');
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('pod pending does not have a host assigned');
  });

  it('answers 503 when the pod node is not connected, 504 when the agent stays silent, 400 with the agent reason when it refuses', async () => {
    const offline = await call('GET', '/api/v1/namespaces/default/pods/orphan/log');
    expect(offline.status).toBe(503);
    expect(offline.body.message).toContain('node "cw-api-gone" is not connected to the hub');
    const silent = await call('POST', '/api/v1/namespaces/default/pods/silent/exec', { body: { command: ['sleep', '9'], timeoutSeconds: 1 } });
    expect(silent.status).toBe(504);
    expect(silent.body.reason).toBe('Timeout');
    expect(silent.body.message).toContain('did not answer the exec command');
    const refused = await call('GET', '/api/v1/namespaces/default/pods/refused/log');
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('container main of pod default/refused has not been created yet');
  });

  it('refuses bad requests: no command, bad tailLines, follow without streams, exec without an upgrade, wrong method', async () => {
    expect((await call('POST', '/api/v1/namespaces/default/pods/web/exec', { body: { command: [] } })).status).toBe(400);
    expect((await call('POST', '/api/v1/namespaces/default/pods/web/exec', { body: { command: 'ls' } })).status).toBe(400);
    expect((await call('GET', '/api/v1/namespaces/default/pods/web/log?tailLines=-1')).status).toBe(400);
    // this server has node commands but no node streams (hub/fleet/node-streams.ts): logs -f needs them
    const follow = await call('GET', '/api/v1/namespaces/default/pods/web/log?follow=true');
    expect(follow.status).toBe(503);
    expect(follow.body.message).toContain('streaming pod logs is not available');
    expect((await call('GET', '/api/v1/namespaces/default/pods/web/log?follow=true&sinceSeconds=0')).status).toBe(400);
    const get = await call('GET', '/api/v1/namespaces/default/pods/web/exec');
    expect(get.status).toBe(400);
    expect(get.body.message).toContain('Upgrade request required');
    expect((await call('POST', '/api/v1/namespaces/default/pods/web/log', { body: {} })).status).toBe(405);
  });

  it('answers 503 when the API server has no node commands', async () => {
    const r = await call('GET', '/api/v1/namespaces/default/pods/web/log', { base: bareUrl });
    expect(r.status).toBe(503);
    expect(r.body.message).toContain('not connected to the fleet');
  });
});
