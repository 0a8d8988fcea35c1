/**
 * Attacks on the hub's MQTT broker and join flow, made with Debian's mosquitto clients over TLS:
 * every one must be refused, and a node's credential must not reach another node's topics.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Credentials } from '../../agent/link/join.js';
import { joinHub } from '../../agent/link/join.js';
import { HubCaMismatchError } from '../../agent/errors.js';
import { ensurePki } from '../../hub/pki/index.js';
import { silentLogger } from '../../protocol/logger.js';
import { topics } from '../../protocol/topics.js';
import { bareToken, mosquitto, startSecureHub, type SecureHub } from './support.js';

const REFUSED = /not authori[sz]ed|Connection Refused|refused/i;

describe('attacks on the broker (mosquitto clients over TLS)', () => {
  let h: SecureHub;
  let a: Credentials;
  let b: Credentials;

  beforeAll(async () => {
    h = await startSecureHub('sec-attacks');
    a = await h.join('sec-atk-a');
    b = await h.join('sec-atk-b');
    // something retained on B's desired topic, which A must never see
    await h.hub.store.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'sec-atk-pod', namespace: 'default' },
      spec: { nodeName: 'sec-atk-b', containers: [{ name: 'c', image: 'drover.local/busybox:test' }] },
    } as never);
  });
  afterAll(async () => {
    await h.close();
  });

  it('a genuine node connects with its credential (the control case)', async () => {
    expect(a.caCert).toContain('BEGIN CERTIFICATE');
    const r = await mosquitto('mosquitto_sub', h, ['-i', `node-${b.nodeName}`, '-u', b.username, '-P', b.password, '-t', topics.nodeDesired(b.nodeName), '-C', '1', '-W', '10']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('sec-atk-pod');
  });

  it('refuses anonymous clients', async () => {
    const r = await mosquitto('mosquitto_pub', h, ['-i', 'anon-1', '-t', topics.nodeStatus(a.nodeName), '-m', '{}']);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(REFUSED);
  });

  it('refuses a wrong password and a made-up username', async () => {
    const wrong = await mosquitto('mosquitto_pub', h, ['-i', `node-${a.nodeName}`, '-u', a.username, '-P', 'x'.repeat(32), '-t', topics.nodeStatus(a.nodeName), '-m', '{}']);
    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(REFUSED);
    const admin = await mosquitto('mosquitto_pub', h, ['-i', 'admin', '-u', 'admin', '-P', a.password, '-t', 'drover/v1/x', '-m', '{}']);
    expect(admin.exitCode).not.toBe(0);
  });

  it("does not let node A read node B's desired set (subscription refused, nothing delivered)", async () => {
    const r = await mosquitto('mosquitto_sub', h, ['-i', `node-${a.nodeName}`, '-u', a.username, '-P', a.password, '-t', topics.nodeDesired(b.nodeName), '-C', '1', '-W', '3']);
    expect(r.stdout).not.toContain('sec-atk-pod');
    expect(r.stdout).toBe('');
    const wildcard = await mosquitto('mosquitto_sub', h, ['-i', `node-${a.nodeName}`, '-u', a.username, '-P', a.password, '-t', 'drover/#', '-C', '1', '-W', '3']);
    expect(wildcard.stdout).toBe('');
  });

  it("does not let node A take B's client id or publish B's status", async () => {
    const steal = await mosquitto('mosquitto_pub', h, ['-i', `node-${b.nodeName}`, '-u', a.username, '-P', a.password, '-t', topics.nodeStatus(b.nodeName), '-m', '{}']);
    expect(steal.exitCode).not.toBe(0);
    const before = (await h.api<{ status?: { conditions?: unknown[] } }>('GET', `/api/v1/nodes/${b.nodeName}`)).body;
    const forged = await mosquitto('mosquitto_pub', h, ['-i', `node-${a.nodeName}`, '-u', a.username, '-P', a.password, '-q', '1', '-t', topics.nodeStatus(b.nodeName), '-m', '{"v":1}']);
    // the broker closes the connection on a refused publish: mosquitto_pub reports an error or at best nothing lands
    const after = (await h.api<{ status?: { conditions?: unknown[] } }>('GET', `/api/v1/nodes/${b.nodeName}`)).body;
    expect(after).toEqual(before);
    expect(forged.stdout).toBe('');
  });

  it('refuses a bare join token over TLS, and an expired one', async () => {
    const token = await h.createJoinToken();
    const bare = await mosquitto('mosquitto_pub', h, ['-i', 'join-sec-1', '-u', 'join', '-P', bareToken(token), '-t', 'drover/v1/join/join-sec-1/request', '-m', '{}']);
    expect(bare.exitCode).not.toBe(0);
    expect(bare.stderr).toMatch(REFUSED);

    const shortLived = await h.createJoinToken({ ttlSeconds: 1 });
    const fresh = await mosquitto('mosquitto_pub', h, ['-i', 'join-sec-2', '-u', 'join', '-P', shortLived, '-t', 'drover/v1/join/join-sec-2/request', '-m', '{}']);
    expect(fresh.exitCode).toBe(0);
    h.advance(5_000);
    const expired = await mosquitto('mosquitto_pub', h, ['-i', 'join-sec-3', '-u', 'join', '-P', shortLived, '-t', 'drover/v1/join/join-sec-3/request', '-m', '{}']);
    expect(expired.exitCode).not.toBe(0);
    expect(expired.stderr).toMatch(REFUSED);
  });

  it('refuses a deleted node: its credential is revoked', async () => {
    const c = await h.join('sec-atk-gone');
    const ok = await mosquitto('mosquitto_pub', h, ['-i', `node-${c.nodeName}`, '-u', c.username, '-P', c.password, '-t', topics.nodePresence(c.nodeName), '-m', '{}']);
    expect(ok.exitCode).toBe(0);
    expect((await h.api('DELETE', `/api/v1/nodes/${c.nodeName}`)).status).toBe(200);
    const refused = await mosquitto('mosquitto_pub', h, ['-i', `node-${c.nodeName}`, '-u', c.username, '-P', c.password, '-t', topics.nodePresence(c.nodeName), '-m', '{}']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(REFUSED);
  });

  it('a client trusting another CA cannot even complete TLS', async () => {
    const other = await ensurePki({ dataDir: join(h.dir, 'other'), logger: silentLogger() });
    const file = join(h.dir, 'other-ca.crt');
    await writeFile(file, other.caCertPem);
    const r = await mosquitto('mosquitto_pub', h, ['-i', `node-${a.nodeName}`, '-u', a.username, '-P', a.password, '-t', topics.nodePresence(a.nodeName), '-m', '{}'], file);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/certificate|TLS|SSL|protocol error/i);
  });

  it("the agent refuses a hub whose CA does not match the token's hash", async () => {
    const other = await ensurePki({ dataDir: join(h.dir, 'other2'), logger: silentLogger() });
    const token = await h.createJoinToken();
    const forged = `K10${other.caFingerprint}::${bareToken(token)}`;
    const err = await joinHub({ hubUrl: h.hub.mqttUrl, token: forged, nodeName: 'sec-atk-mitm', logger: silentLogger(), timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubCaMismatchError);
    // and the hub saw no join: the token is unused and no node exists
    const tokens = await h.api<{ items: { id: string; uses: number }[] }>('GET', '/apis/drover.io/v1/jointokens');
    const id = /drover-join\.([a-z0-9]{6})\./.exec(token)![1];
    expect(tokens.body.items.find((t) => t.id === id)?.uses).toBe(0);
    expect((await h.api('GET', '/api/v1/nodes/sec-atk-mitm')).status).toBe(404);
  });
});
