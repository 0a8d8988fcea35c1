import { timingSafeEqual } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { createAuthService, type AuthService } from '../../../hub/auth/auth-service.js';
import { formatToken, hashSecret, parseToken, secretMatches, generateSecret, generateTokenId } from '../../../hub/auth/secrets.js';
import type { Store } from '../../../hub/store/store.js';
import { openStore, tempDir } from '../store/helpers.js';

// Wrap the real timingSafeEqual in a spy so the tests can see every secret comparison go through it.
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

describe('token format', () => {
  it('formats and parses <prefix>.<6 [a-z0-9]>.<32 [a-z0-9]>', () => {
    const id = generateTokenId();
    const secret = generateSecret();
    expect(id).toMatch(/^[a-z0-9]{6}$/);
    expect(secret).toMatch(/^[a-z0-9]{32}$/);
    const token = formatToken('drover-join', id, secret);
    expect(token).toBe(`drover-join.${id}.${secret}`);
    expect(parseToken('drover-join', token)).toEqual({ id, secret });
    expect(parseToken('drover-join', ` ${token}\n`)).toEqual({ id, secret });
  });

  it('refuses other shapes and the other prefix', () => {
    const secret = 'a'.repeat(32);
    for (const bad of [
      '',
      'drover-join',
      `drover-join.abc.${secret}`,
      `drover-join.abcdef.${secret}x`,
      `drover-join.ABCDEF.${secret}`,
      `drover-api.abcdef.${secret}`,
      `drover-join.abcdef.${secret}.extra`,
    ]) {
      expect(parseToken('drover-join', bad), bad).toBeUndefined();
    }
    expect(parseToken('drover-join', undefined as unknown as string)).toBeUndefined();
  });
});

describe('secret hashing', () => {
  beforeEach(() => {
    vi.mocked(timingSafeEqual).mockClear();
  });

  it('stores hex sha256 and compares with crypto.timingSafeEqual', () => {
    const secret = generateSecret();
    const hash = hashSecret(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(secret);
    expect(secretMatches(secret, hash)).toBe(true);
    expect(secretMatches(`${secret.slice(1)}x`, hash)).toBe(false);
    expect(vi.mocked(timingSafeEqual)).toHaveBeenCalledTimes(2);
  });

  it('a malformed stored hash never matches (and does not throw)', () => {
    expect(secretMatches('x', 'not-hex')).toBe(false);
    expect(secretMatches('x', '')).toBe(false);
  });
});

describe('the service compares every secret in constant time', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: Store;
  let auth: AuthService;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('drover-auth-'));
    store = await openStore(dir);
    auth = createAuthService({ store, logger: silentLogger() });
  });
  afterEach(async () => {
    auth.close();
    await store.close();
    await cleanup();
  });

  it('join tokens, node credentials and API tokens all go through timingSafeEqual', async () => {
    const join = await auth.createJoinToken({});
    const node = await auth.issueNodeCredential('pi-1');
    const api = await auth.createApiToken({ role: 'view' });
    const spy = vi.mocked(timingSafeEqual);

    spy.mockClear();
    expect((await auth.verifyJoinToken(join.token)).ok).toBe(true);
    expect(spy).toHaveBeenCalledTimes(1);

    spy.mockClear();
    expect(await auth.verifyNodeCredential(node.username, node.password)).toBe('pi-1');
    expect(await auth.verifyNodeCredential(node.username, 'wrong')).toBeUndefined();
    expect(spy).toHaveBeenCalledTimes(2);

    spy.mockClear();
    expect(await auth.verifyApiToken(api.token)).toMatchObject({ role: 'view' });
    expect(spy).toHaveBeenCalledTimes(1);
  });
});
