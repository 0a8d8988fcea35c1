/**
 * Join tokens: what an administrator hands to a device so it can enrol (MQTT username `join`,
 * password = the token). Format `drover-join.<id>.<secret>`, id 6 and secret 32 characters of [a-z0-9].
 * Stored as JoinToken objects named by id, holding only the secret's SHA-256.
 * When the hub has a CA (`caFingerprint`), tokens are handed out K3s-style as
 * `K10<CA DER SHA-256 hex>::drover-join.<id>.<secret>` (protocol/join-token.ts) so the device can check
 * the hub before talking to it; verify accepts both forms, and refuses a K10 hash that is not ours.
 */
import { retryOnConflict } from '../store/update-with-retry.js';
import type { Logger } from '../../protocol/logger.js';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { InvalidAuthRequestError, JoinTokenUnusableError } from './errors.js';
import { AUTH_API_VERSION, JOIN_TOKEN_KIND, clusterKey, type JoinTokenObject } from './kinds.js';
import { formatJoinTokenWithCa, parseJoinTokenString } from '../../protocol/join-token.js';
import { formatToken, generateSecret, createWithFreshId, hashSecret, parseToken, secretMatches } from './secrets.js';
import { preciseTimestamp } from '../../protocol/time.js';

export const DEFAULT_JOIN_TOKEN_TTL_SECONDS = 24 * 60 * 60;
const ID_ATTEMPTS = 5;

/** `pinned`: the token carried this hub's CA hash (K10 form); false for the bare form. */
export type JoinTokenVerdict =
  | { ok: true; id: string; pinned: boolean }
  | { ok: false; reason: 'malformed' | 'unknown' | 'expired' | 'used' | 'wrong-ca' };

/** What listJoinTokens() shows: never the secret or its hash. */
export interface JoinTokenInfo {
  id: string;
  description?: string;
  createdAt: string;
  expiresAt: string;
  singleUse: boolean;
  uses: number;
  lastUsedAt?: string;
  expired: boolean;
}

export interface JoinTokens {
  createJoinToken(o?: { ttlSeconds?: number; description?: string; singleUse?: boolean }): Promise<{ token: string; id: string; expiresAt: string }>;
  verifyJoinToken(token: string): Promise<JoinTokenVerdict>;
  consumeJoinToken(id: string): Promise<void>;
  listJoinTokens(): Promise<JoinTokenInfo[]>;
  revokeJoinToken(id: string): Promise<void>;
  deleteExpiredJoinTokens(): Promise<number>;
}

export function createJoinTokens(opts: { store: Store; logger: Logger; clock: () => number; caFingerprint?: string | undefined }): JoinTokens {
  const { store, clock } = opts;
  const caFingerprint = opts.caFingerprint?.toLowerCase();
  const log = opts.logger;
  const isExpired = (t: JoinTokenObject): boolean => clock() >= Date.parse(t.spec.expiresAt);
  const unusableReason = (t: JoinTokenObject): 'expired' | 'used' | undefined => {
    if (isExpired(t)) return 'expired';
    if (t.spec.singleUse && (t.status?.uses ?? 0) > 0) return 'used';
    return undefined;
  };

  return {
    async createJoinToken(o = {}) {
      const ttl = o.ttlSeconds ?? DEFAULT_JOIN_TOKEN_TTL_SECONDS;
      if (!Number.isFinite(ttl) || ttl <= 0) throw new InvalidAuthRequestError('ttlSeconds', 'must be a positive number of seconds');
      const expiresAt = preciseTimestamp(clock() + ttl * 1000);
      const secret = generateSecret();
      const singleUse = o.singleUse ?? false;
      const id = await createWithFreshId(
        async (candidate) => {
          const object: JoinTokenObject = {
            apiVersion: AUTH_API_VERSION,
            kind: JOIN_TOKEN_KIND,
            metadata: { name: candidate },
            spec: { secretHash: hashSecret(secret), expiresAt, singleUse, ...(o.description ? { description: o.description } : {}) },
            status: { uses: 0 },
          };
          await store.create(object);
        },
        (err) => err instanceof AlreadyExistsError,
        ID_ATTEMPTS,
      );
      log.info({ id, expiresAt, singleUse }, 'join token created');
      const bare = formatToken('drover-join', id, secret);
      return { token: caFingerprint ? formatJoinTokenWithCa(caFingerprint, bare) : bare, id, expiresAt };
    },

    async verifyJoinToken(token) {
      if (typeof token !== 'string') return { ok: false, reason: 'malformed' };
      const { caHash, bare } = parseJoinTokenString(token);
      // A token minted by another hub (or for an older CA): the device would trust the wrong CA.
      if (caHash !== undefined && caHash !== caFingerprint) return { ok: false, reason: 'wrong-ca' };
      const parsed = parseToken('drover-join', bare);
      if (!parsed) return { ok: false, reason: 'malformed' };
      const stored = await store.get<JoinTokenObject>(clusterKey(JOIN_TOKEN_KIND, parsed.id));
      // A wrong secret reads as "unknown": do not tell a guesser that the id exists.
      if (!stored || !secretMatches(parsed.secret, stored.spec.secretHash)) return { ok: false, reason: 'unknown' };
      const reason = unusableReason(stored);
      return reason ? { ok: false, reason } : { ok: true, id: parsed.id, pinned: caHash !== undefined };
    },

    async consumeJoinToken(id) {
      // CAS: two devices racing for one single-use token cannot both win.
      await retryOnConflict(async () => {
        const stored = await store.get<JoinTokenObject>(clusterKey(JOIN_TOKEN_KIND, id));
        if (!stored) throw new NotFoundError(clusterKey(JOIN_TOKEN_KIND, id));
        const reason = unusableReason(stored);
        if (reason) throw new JoinTokenUnusableError(id, reason);
        const next: JoinTokenObject = {
          ...stored,
          status: { uses: (stored.status?.uses ?? 0) + 1, lastUsedAt: preciseTimestamp(clock()) },
        };
        await store.update(next, { expectedResourceVersion: stored.metadata.resourceVersion! });
        log.info({ id, uses: next.status!.uses }, 'join token used');
      });
    },

    async listJoinTokens() {
      const { items } = await store.list<JoinTokenObject>(JOIN_TOKEN_KIND);
      return items.map((t) => ({
        id: t.metadata.name,
        ...(t.spec.description ? { description: t.spec.description } : {}),
        createdAt: t.metadata.creationTimestamp ?? '',
        expiresAt: t.spec.expiresAt,
        singleUse: t.spec.singleUse,
        uses: t.status?.uses ?? 0,
        ...(t.status?.lastUsedAt ? { lastUsedAt: t.status.lastUsedAt } : {}),
        expired: isExpired(t),
      }));
    },

    async revokeJoinToken(id) {
      await store.delete(clusterKey(JOIN_TOKEN_KIND, id));
      log.info({ id }, 'join token revoked');
    },

    async deleteExpiredJoinTokens() {
      const { items } = await store.list<JoinTokenObject>(JOIN_TOKEN_KIND);
      let deleted = 0;
      for (const t of items.filter(isExpired)) {
        try {
          await store.delete(clusterKey(JOIN_TOKEN_KIND, t.metadata.name), { expectedResourceVersion: t.metadata.resourceVersion! });
          deleted++;
        } catch (err) {
          // Someone else revoked or touched it meanwhile: nothing to clean up here.
          if (err instanceof NotFoundError || err instanceof ConflictError) {
            log.debug({ id: t.metadata.name, err }, 'expired join token changed while cleaning up; skipped');
            continue;
          }
          throw err;
        }
      }
      if (deleted > 0) log.info({ deleted }, 'expired join tokens deleted');
      return deleted;
    },
  };
}
