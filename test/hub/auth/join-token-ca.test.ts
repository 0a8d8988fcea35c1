import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { parseJoinTokenString } from '../../../protocol/join-token.js';
import { createAuthService, type AuthService } from '../../../hub/auth/auth-service.js';
import type { Store } from '../../../hub/store/store.js';
import { openStore, tempDir } from '../store/helpers.js';

const CA = 'ab'.repeat(32);
const OTHER_CA = 'cd'.repeat(32);
let cleanup: () => Promise<void>;
let store: Store;
let auth: AuthService;

beforeEach(async () => {
  let dir: string;
  ({ dir, cleanup } = await tempDir('drover-auth-ca-'));
  store = await openStore(dir);
  auth = createAuthService({ store, logger: silentLogger(), caFingerprint: CA });
});
afterEach(async () => {
  auth.close();
  await store.close();
  await cleanup();
});

describe('join tokens carrying the CA hash (K10 form)', () => {
  it('are issued as K10<ca-hash>::drover-join.<id>.<secret>', async () => {
    const t = await auth.createJoinToken();
    expect(t.token).toMatch(new RegExp(`^K10${CA}::drover-join\\.${t.id}\\.[a-z0-9]{32}$`));
  });

  it('verify in both forms; the K10 form is reported as pinned', async () => {
    const t = await auth.createJoinToken();
    const { bare } = parseJoinTokenString(t.token);
    expect(await auth.verifyJoinToken(t.token)).toEqual({ ok: true, id: t.id, pinned: true });
    expect(await auth.verifyJoinToken(bare)).toEqual({ ok: true, id: t.id, pinned: false });
    expect(await auth.verifyJoinToken(`K10${CA.toUpperCase()}::${bare}`)).toEqual({ ok: true, id: t.id, pinned: true });
  });

  it("refuse a valid secret under another CA's hash", async () => {
    const t = await auth.createJoinToken();
    const { bare } = parseJoinTokenString(t.token);
    expect(await auth.verifyJoinToken(`K10${OTHER_CA}::${bare}`)).toEqual({ ok: false, reason: 'wrong-ca' });
  });

  it('refuse K10 tokens when the hub has no CA', async () => {
    const plain = createAuthService({ store, logger: silentLogger() });
    try {
      const t = await plain.createJoinToken();
      expect(t.token.startsWith('drover-join.')).toBe(true);
      expect(await plain.verifyJoinToken(`K10${CA}::${t.token}`)).toEqual({ ok: false, reason: 'wrong-ca' });
    } finally {
      plain.close();
    }
  });

  it('keep malformed tails malformed', async () => {
    expect(await auth.verifyJoinToken(`K10${CA}::garbage`)).toEqual({ ok: false, reason: 'malformed' });
    expect(await auth.verifyJoinToken(`K10${CA.slice(2)}::drover-join.abcdef.${'a'.repeat(32)}`)).toEqual({ ok: false, reason: 'malformed' });
  });
});
