/**
 * API tokens: bearer tokens for the HTTP API and the CLI. Format `drover-api.<id>.<secret>`, id 6 and
 * secret 32 characters of [a-z0-9]. Stored as ApiToken objects named by id, holding only the
 * secret's SHA-256, the role and an optional namespace restriction.
 */
import { DNS_LABEL } from '../../protocol/objects/meta.js';
import type { Logger } from '../../protocol/logger.js';
import { AlreadyExistsError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { createCredentialCache } from './credential-cache.js';
import { InvalidAuthRequestError } from './errors.js';
import { API_ROLES, API_TOKEN_KIND, AUTH_API_VERSION, clusterKey, type ApiRole, type ApiTokenObject } from './kinds.js';
import { createWithFreshId, formatToken, generateSecret, hashSecret, parseToken, secretMatches } from './secrets.js';

const ID_ATTEMPTS = 5;

export interface ApiPrincipal {
  id: string;
  role: ApiRole;
  namespace?: string;
}

/** What listApiTokens() shows: never the secret or its hash. */
export interface ApiTokenInfo extends ApiPrincipal {
  description?: string;
  createdAt: string;
}

export interface ApiTokens {
  createApiToken(o: { role: ApiRole; namespace?: string; description?: string }): Promise<{ token: string; id: string }>;
  verifyApiToken(token: string): Promise<ApiPrincipal | undefined>;
  listApiTokens(): Promise<ApiTokenInfo[]>;
  revokeApiToken(id: string): Promise<void>;
  close(): void;
}

export function createApiTokens(opts: { store: Store; logger: Logger }): ApiTokens {
  const { store } = opts;
  const log = opts.logger;
  const cache = createCredentialCache<ApiTokenObject>({ store, kind: API_TOKEN_KIND, logger: log });
  const principalOf = (t: ApiTokenObject): ApiPrincipal => ({
    id: t.metadata.name,
    role: t.spec.role,
    ...(t.spec.namespace !== undefined ? { namespace: t.spec.namespace } : {}),
  });

  return {
    async createApiToken(o) {
      if (!API_ROLES.includes(o?.role)) throw new InvalidAuthRequestError('role', `must be one of ${API_ROLES.join(', ')}`);
      if (o.namespace !== undefined && !DNS_LABEL.test(o.namespace)) {
        throw new InvalidAuthRequestError('namespace', `"${o.namespace}" is not a valid namespace name`);
      }
      const secret = generateSecret();
      const id = await createWithFreshId(
        async (candidate) => {
          const object: ApiTokenObject = {
            apiVersion: AUTH_API_VERSION,
            kind: API_TOKEN_KIND,
            metadata: { name: candidate },
            spec: {
              role: o.role,
              ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
              ...(o.description ? { description: o.description } : {}),
              secretHash: hashSecret(secret),
            },
          };
          await store.create(object);
        },
        (err) => err instanceof AlreadyExistsError,
        ID_ATTEMPTS,
      );
      cache.invalidate(id);
      log.info({ id, role: o.role, namespace: o.namespace }, 'API token created');
      return { token: formatToken('drover-api', id, secret), id };
    },

    async verifyApiToken(token) {
      const parsed = parseToken('drover-api', token);
      if (!parsed) return undefined;
      const stored = await cache.get(parsed.id);
      if (!stored || !secretMatches(parsed.secret, stored.spec.secretHash)) return undefined;
      return principalOf(stored);
    },

    async listApiTokens() {
      const { items } = await store.list<ApiTokenObject>(API_TOKEN_KIND);
      return items.map((t) => ({
        ...principalOf(t),
        ...(t.spec.description ? { description: t.spec.description } : {}),
        createdAt: t.metadata.creationTimestamp ?? '',
      }));
    },

    async revokeApiToken(id) {
      try {
        await store.delete(clusterKey(API_TOKEN_KIND, id));
      } finally {
        cache.invalidate(id);
      }
      log.info({ id }, 'API token revoked');
    },

    close: () => cache.close(),
  };
}
