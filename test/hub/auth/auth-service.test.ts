import { readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { createAuthService, type AuthService } from '../../../hub/auth/auth-service.js';
import { AUTH_ERROR_CODES, InvalidAuthRequestError, JoinTokenUnusableError } from '../../../hub/auth/errors.js';
import { API_TOKEN_KIND, JOIN_TOKEN_KIND, NODE_CREDENTIAL_KIND } from '../../../hub/auth/kinds.js';
import { NotFoundError, STORE_ERROR_CODES } from '../../../hub/store/errors.js';
import type { Store } from '../../../hub/store/store.js';
import { openStore, tempDir } from '../store/helpers.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const HOUR = 3600_000;
let dir: string;
let cleanup: () => Promise<void>;
let store: Store;
let auth: AuthService;
let now: number;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('drover-auth-'));
  now = T0;
  store = await openStore(dir, { clock: () => now });
  auth = createAuthService({ store, logger: silentLogger(), clock: () => now });
});
afterEach(async () => {
  auth.close();
  await store.close();
  await cleanup();
});

/** Wait until `check` holds (watch-driven cache invalidation is asynchronous). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition never became true');
}

describe('error catalogue', () => {
  it('auth error codes are unique and do not clash with the store codes', () => {
    const codes = [...Object.keys(AUTH_ERROR_CODES), ...Object.keys(STORE_ERROR_CODES)];
    expect(new Set(codes).size).toBe(codes.length);
  });
});

describe('join tokens', () => {
  it('creates drover-join.<id>.<secret> tokens that expire after 24h by default', async () => {
    const t = await auth.createJoinToken({ description: 'rack 3' });
    expect(t.token).toMatch(/^drover-join\.[a-z0-9]{6}\.[a-z0-9]{32}$/);
    expect(t.token.split('.')[1]).toBe(t.id);
    expect(t.expiresAt).toBe(new Date(T0 + 24 * HOUR).toISOString());
    expect(await auth.verifyJoinToken(t.token)).toEqual({ ok: true, id: t.id, pinned: false });
    now = T0 + 24 * HOUR - 1;
    expect((await auth.verifyJoinToken(t.token)).ok).toBe(true);
    now = T0 + 24 * HOUR;
    expect(await auth.verifyJoinToken(t.token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('honours ttlSeconds and rejects a non-positive one', async () => {
    const t = await auth.createJoinToken({ ttlSeconds: 60 });
    expect(t.expiresAt).toBe(new Date(T0 + 60_000).toISOString());
    now = T0 + 61_000;
    expect(await auth.verifyJoinToken(t.token)).toEqual({ ok: false, reason: 'expired' });
    await expect(auth.createJoinToken({ ttlSeconds: 0 })).rejects.toBeInstanceOf(InvalidAuthRequestError);
    await expect(auth.createJoinToken({ ttlSeconds: -5 })).rejects.toBeInstanceOf(InvalidAuthRequestError);
  });

  it('refuses malformed, unknown and wrong-secret tokens', async () => {
    const t = await auth.createJoinToken({});
    expect(await auth.verifyJoinToken('hello')).toEqual({ ok: false, reason: 'malformed' });
    const api = await auth.createApiToken({ role: 'admin' });
    expect(await auth.verifyJoinToken(api.token)).toEqual({ ok: false, reason: 'malformed' });
    expect(await auth.verifyJoinToken(`drover-join.zzzzzz.${'a'.repeat(32)}`)).toEqual({ ok: false, reason: 'unknown' });
    // right id, wrong secret: reads as unknown, not revealing that the id exists
    expect(await auth.verifyJoinToken(`drover-join.${t.id}.${'a'.repeat(32)}`)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('a single-use token works once', async () => {
    const t = await auth.createJoinToken({ singleUse: true });
    expect((await auth.verifyJoinToken(t.token)).ok).toBe(true);
    await auth.consumeJoinToken(t.id);
    expect(await auth.verifyJoinToken(t.token)).toEqual({ ok: false, reason: 'used' });
    await expect(auth.consumeJoinToken(t.id)).rejects.toBeInstanceOf(JoinTokenUnusableError);
    await expect(auth.consumeJoinToken(t.id)).rejects.toMatchObject({ reason: 'used', code: 'EAUTH_JOIN_TOKEN_UNUSABLE' });
  });

  it('two devices racing for one single-use token: exactly one wins', async () => {
    const t = await auth.createJoinToken({ singleUse: true });
    const results = await Promise.allSettled([auth.consumeJoinToken(t.id), auth.consumeJoinToken(t.id), auth.consumeJoinToken(t.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(2);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(JoinTokenUnusableError);
    expect((await auth.listJoinTokens())[0]!.uses).toBe(1);
  });

  it('a reusable token can be consumed many times and counts its uses', async () => {
    const t = await auth.createJoinToken({});
    await auth.consumeJoinToken(t.id);
    now += 1000;
    await auth.consumeJoinToken(t.id);
    expect((await auth.verifyJoinToken(t.token)).ok).toBe(true);
    const [info] = await auth.listJoinTokens();
    expect(info).toMatchObject({ id: t.id, uses: 2, singleUse: false, lastUsedAt: new Date(T0 + 1000).toISOString() });
  });

  it('consume refuses an expired token and an unknown id', async () => {
    const t = await auth.createJoinToken({ ttlSeconds: 10 });
    now = T0 + 10_000;
    await expect(auth.consumeJoinToken(t.id)).rejects.toMatchObject({ reason: 'expired' });
    await expect(auth.consumeJoinToken('nope00')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('lists tokens without secrets or hashes', async () => {
    const a = await auth.createJoinToken({ description: 'first', ttlSeconds: 60 });
    const b = await auth.createJoinToken({ singleUse: true });
    now = T0 + 120_000;
    const list = await auth.listJoinTokens();
    expect(list.map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
    const first = list.find((t) => t.id === a.id)!;
    expect(first).toEqual({
      id: a.id,
      description: 'first',
      createdAt: new Date(T0).toISOString(),
      expiresAt: a.expiresAt,
      singleUse: false,
      uses: 0,
      expired: true,
    });
    const text = JSON.stringify(list);
    expect(text).not.toContain(a.token.split('.')[2]);
    expect(text).not.toMatch(/[0-9a-f]{64}/);
  });

  it('a revoked token is refused; revoking an unknown id is NotFoundError', async () => {
    const t = await auth.createJoinToken({});
    await auth.revokeJoinToken(t.id);
    expect(await auth.verifyJoinToken(t.token)).toEqual({ ok: false, reason: 'unknown' });
    await expect(auth.revokeJoinToken(t.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await auth.listJoinTokens()).toEqual([]);
  });

  it('deleteExpiredJoinTokens removes only expired ones', async () => {
    const short = await auth.createJoinToken({ ttlSeconds: 10 });
    const long = await auth.createJoinToken({ ttlSeconds: 1000 });
    now = T0 + 20_000;
    expect(await auth.deleteExpiredJoinTokens()).toBe(1);
    expect((await auth.listJoinTokens()).map((t) => t.id)).toEqual([long.id]);
    expect(await auth.verifyJoinToken(short.token)).toEqual({ ok: false, reason: 'unknown' });
  });

  it('stores JoinToken objects as cluster-scoped drover.io/v1 objects', async () => {
    const t = await auth.createJoinToken({});
    const stored = await store.get({ kind: JOIN_TOKEN_KIND, namespace: '', name: t.id });
    expect(stored).toMatchObject({ apiVersion: 'drover.io/v1', kind: 'JoinToken', metadata: { name: t.id } });
    expect(stored!.metadata.namespace).toBeUndefined();
  });
});

describe('node credentials', () => {
  it('issues node:<name> credentials that verify to the node name', async () => {
    const c = await auth.issueNodeCredential('pi-1');
    expect(c.username).toBe('node:pi-1');
    expect(c.password).toMatch(/^[a-z0-9]{32}$/);
    expect(await auth.verifyNodeCredential(c.username, c.password)).toBe('pi-1');
    // verify twice: the second comes from the cache and must agree
    expect(await auth.verifyNodeCredential(c.username, c.password)).toBe('pi-1');
  });

  it('refuses a wrong password, another node, and odd usernames', async () => {
    const a = await auth.issueNodeCredential('pi-1');
    const b = await auth.issueNodeCredential('pi-2');
    expect(await auth.verifyNodeCredential(a.username, b.password)).toBeUndefined();
    expect(await auth.verifyNodeCredential(b.username, a.password)).toBeUndefined();
    expect(await auth.verifyNodeCredential('pi-1', a.password)).toBeUndefined();
    expect(await auth.verifyNodeCredential('node:', a.password)).toBeUndefined();
    expect(await auth.verifyNodeCredential('node:PI-1', a.password)).toBeUndefined();
    expect(await auth.verifyNodeCredential('node:unknown', a.password)).toBeUndefined();
    expect(await auth.verifyNodeCredential(a.username, '')).toBeUndefined();
  });

  it('re-issuing replaces the old secret', async () => {
    const old = await auth.issueNodeCredential('pi-1');
    expect(await auth.verifyNodeCredential(old.username, old.password)).toBe('pi-1'); // now cached
    const fresh = await auth.issueNodeCredential('pi-1');
    expect(fresh.password).not.toBe(old.password);
    expect(await auth.verifyNodeCredential(old.username, old.password)).toBeUndefined();
    expect(await auth.verifyNodeCredential(fresh.username, fresh.password)).toBe('pi-1');
  });

  it('a revoked node is refused; revoking again reports false', async () => {
    const c = await auth.issueNodeCredential('pi-1');
    expect(await auth.verifyNodeCredential(c.username, c.password)).toBe('pi-1');
    expect(await auth.revokeNodeCredential('pi-1')).toBe(true);
    expect(await auth.verifyNodeCredential(c.username, c.password)).toBeUndefined();
    expect(await auth.revokeNodeCredential('pi-1')).toBe(false);
    expect(await store.get({ kind: NODE_CREDENTIAL_KIND, namespace: '', name: 'pi-1' })).toBeUndefined();
  });

  it('a revoke through another service on the same store reaches this one’s cache', async () => {
    const other = createAuthService({ store, logger: silentLogger() });
    try {
      const c = await auth.issueNodeCredential('pi-1');
      expect(await auth.verifyNodeCredential(c.username, c.password)).toBe('pi-1');
      expect(await other.revokeNodeCredential('pi-1')).toBe(true);
      await eventually(async () => (await auth.verifyNodeCredential(c.username, c.password)) === undefined);
    } finally {
      other.close();
    }
  });

  it('rejects an invalid node name', async () => {
    await expect(auth.issueNodeCredential('Bad_Name')).rejects.toBeInstanceOf(InvalidAuthRequestError);
    await expect(auth.issueNodeCredential('')).rejects.toBeInstanceOf(InvalidAuthRequestError);
  });
});

describe('API tokens', () => {
  it('creates drover-api.<id>.<secret> tokens that verify to their role and namespace', async () => {
    const admin = await auth.createApiToken({ role: 'admin', description: 'ops' });
    const edit = await auth.createApiToken({ role: 'edit', namespace: 'team-a' });
    expect(admin.token).toMatch(/^drover-api\.[a-z0-9]{6}\.[a-z0-9]{32}$/);
    expect(await auth.verifyApiToken(admin.token)).toEqual({ id: admin.id, role: 'admin' });
    expect(await auth.verifyApiToken(edit.token)).toEqual({ id: edit.id, role: 'edit', namespace: 'team-a' });
  });

  it('refuses malformed, unknown, wrong-secret and join tokens', async () => {
    const t = await auth.createApiToken({ role: 'view' });
    const join = await auth.createJoinToken({});
    expect(await auth.verifyApiToken('')).toBeUndefined();
    expect(await auth.verifyApiToken(join.token)).toBeUndefined();
    expect(await auth.verifyApiToken(`drover-api.${t.id}.${'b'.repeat(32)}`)).toBeUndefined();
    expect(await auth.verifyApiToken(`drover-api.qqqqqq.${'b'.repeat(32)}`)).toBeUndefined();
  });

  it('rejects an unknown role or a bad namespace', async () => {
    await expect(auth.createApiToken({ role: 'root' as 'admin' })).rejects.toBeInstanceOf(InvalidAuthRequestError);
    await expect(auth.createApiToken({ role: 'view', namespace: 'Not Valid' })).rejects.toBeInstanceOf(InvalidAuthRequestError);
  });

  it('lists tokens without secrets or hashes, and revoke refuses the token afterwards', async () => {
    const a = await auth.createApiToken({ role: 'view', namespace: 'ns1', description: 'dash' });
    expect(await auth.verifyApiToken(a.token)).toBeDefined(); // cached
    const list = await auth.listApiTokens();
    expect(list).toEqual([{ id: a.id, role: 'view', namespace: 'ns1', description: 'dash', createdAt: new Date(T0).toISOString() }]);
    await auth.revokeApiToken(a.id);
    expect(await auth.verifyApiToken(a.token)).toBeUndefined();
    await expect(auth.revokeApiToken(a.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await auth.listApiTokens()).toEqual([]);
  });
});

describe('only hashes are stored', () => {
  it('no plaintext secret appears in the SQLite files', async () => {
    const joinToken = await auth.createJoinToken({});
    const node = await auth.issueNodeCredential('pi-1');
    const api = await auth.createApiToken({ role: 'admin' });
    const secrets = [joinToken.token.split('.')[2]!, node.password, api.token.split('.')[2]!];
    const readAll = async () => {
      const files = (await readdir(dir)).filter((f) => f.startsWith('state.db'));
      expect(files).toContain('state.db');
      return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f))))).toString('latin1');
    };
    // while open (data in the WAL) and after close (checkpointed into the main file)
    for (const phase of ['open', 'closed']) {
      if (phase === 'closed') {
        auth.close();
        await store.close();
      }
      const bytes = await readAll();
      for (const s of secrets) expect(bytes.includes(s), `${phase}: plaintext secret found`).toBe(false);
      // the check can find things: the ids are in there in plain text
      expect(bytes.includes(joinToken.id)).toBe(true);
      expect(bytes.includes(api.id)).toBe(true);
    }
    store = await openStore(dir); // for afterEach
    auth = createAuthService({ store, logger: silentLogger() });
    // and the stored objects carry a 64-hex hash instead
    const stored = await store.get({ kind: API_TOKEN_KIND, namespace: '', name: api.id });
    expect((stored!.spec as { secretHash: string }).secretHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('ensureAdminToken', () => {
  const path = () => join(dir, 'conf', 'admin-token');

  it('creates an admin token on first start, written 0600, and returns the same one later', async () => {
    const token = await auth.ensureAdminToken(path());
    expect(token).toMatch(/^drover-api\./);
    expect(await readFile(path(), 'utf8')).toBe(`${token}\n`);
    expect((await stat(path())).mode & 0o777).toBe(0o600);
    expect(await auth.verifyApiToken(token)).toMatchObject({ role: 'admin' });
    expect((await auth.verifyApiToken(token))!.namespace).toBeUndefined();

    expect(await auth.ensureAdminToken(path())).toBe(token);
    expect(await auth.listApiTokens()).toHaveLength(1);
    // no temp files left behind
    expect(await readdir(join(dir, 'conf'))).toEqual(['admin-token']);
  });

  it('recreates the token if it was revoked', async () => {
    const first = await auth.ensureAdminToken(path());
    await auth.revokeApiToken((await auth.verifyApiToken(first))!.id);
    const second = await auth.ensureAdminToken(path());
    expect(second).not.toBe(first);
    expect(await readFile(path(), 'utf8')).toBe(`${second}\n`);
    expect(await auth.verifyApiToken(second)).toMatchObject({ role: 'admin' });
    expect(await auth.verifyApiToken(first)).toBeUndefined();
  });

  it('recreates the token if the file was lost or holds garbage', async () => {
    const first = await auth.ensureAdminToken(path());
    await rm(path());
    const second = await auth.ensureAdminToken(path());
    expect(second).not.toBe(first);
    await writeFile(path(), 'garbage\n');
    const third = await auth.ensureAdminToken(path());
    expect(third).not.toBe(second);
    expect(await readFile(path(), 'utf8')).toBe(`${third}\n`);
  });

  it('does not accept a non-admin token in the file', async () => {
    const view = await auth.createApiToken({ role: 'view' });
    await auth.ensureAdminToken(path());
    await writeFile(path(), `${view.token}\n`);
    const token = await auth.ensureAdminToken(path());
    expect(token).not.toBe(view.token);
    expect(await auth.verifyApiToken(token)).toMatchObject({ role: 'admin' });
  });

  it('tightens a file that others could read', async () => {
    const token = await auth.ensureAdminToken(path());
    await chmod(path(), 0o644);
    expect(await auth.ensureAdminToken(path())).toBe(token);
    expect((await stat(path())).mode & 0o777).toBe(0o600);
  });
});
