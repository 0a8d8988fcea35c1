/**
 * Node credentials: the MQTT username/password a node uses after joining. Username `node:<nodeName>`,
 * password 32 characters of [a-z0-9]. Stored as NodeCredential objects named by node, holding only
 * the SHA-256 of the password. Issuing again replaces the secret (a re-joining node gets a fresh one).
 */
import { retryOnConflict } from '../store/update-with-retry.js';
import { DNS_SUBDOMAIN } from '../../protocol/objects/meta.js';
import type { Logger } from '../../protocol/logger.js';
import { AlreadyExistsError, NotFoundError } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { createCredentialCache } from './credential-cache.js';
import { InvalidAuthRequestError } from './errors.js';
import { AUTH_API_VERSION, NODE_CREDENTIAL_KIND, clusterKey, type NodeCredentialObject } from './kinds.js';
import { generateSecret, hashSecret, secretMatches } from './secrets.js';
import { preciseTimestamp } from '../../protocol/time.js';

export const NODE_USERNAME_PREFIX = 'node:';

export interface NodeCredentials {
  issueNodeCredential(nodeName: string): Promise<{ username: string; password: string }>;
  verifyNodeCredential(username: string, password: string): Promise<string | undefined>;
  /** True if a credential was removed; false if the node had none. */
  revokeNodeCredential(nodeName: string): Promise<boolean>;
  close(): void;
}

export function createNodeCredentials(opts: { store: Store; logger: Logger; clock: () => number }): NodeCredentials {
  const { store, clock } = opts;
  const log = opts.logger;
  const cache = createCredentialCache<NodeCredentialObject>({ store, kind: NODE_CREDENTIAL_KIND, logger: log });

  return {
    async issueNodeCredential(nodeName) {
      if (typeof nodeName !== 'string' || nodeName.length > 253 || !DNS_SUBDOMAIN.test(nodeName)) {
        throw new InvalidAuthRequestError('nodeName', `"${nodeName}" is not a valid node name (lowercase RFC 1123 subdomain)`);
      }
      const username = `${NODE_USERNAME_PREFIX}${nodeName}`;
      const password = generateSecret();
      const spec = { username, secretHash: hashSecret(password), issuedAt: preciseTimestamp(clock()) };
      // Create or replace; a concurrent create, replace or delete means: read again.
      const replaced = await retryOnConflict(
        async () => {
          const existing = await store.get<NodeCredentialObject>(clusterKey(NODE_CREDENTIAL_KIND, nodeName));
          try {
            if (existing) {
              await store.update({ ...existing, spec }, { expectedResourceVersion: existing.metadata.resourceVersion! });
            } else {
              const object: NodeCredentialObject = { apiVersion: AUTH_API_VERSION, kind: NODE_CREDENTIAL_KIND, metadata: { name: nodeName }, spec };
              await store.create(object);
            }
          } finally {
            cache.invalidate(nodeName);
          }
          return existing !== undefined;
        },
        { alsoRetry: (err) => err instanceof AlreadyExistsError || err instanceof NotFoundError },
      );
      log.info({ node: nodeName, replaced }, 'node credential issued');
      return { username, password };
    },

    async verifyNodeCredential(username, password) {
      if (typeof username !== 'string' || typeof password !== 'string' || !username.startsWith(NODE_USERNAME_PREFIX)) return undefined;
      const nodeName = username.slice(NODE_USERNAME_PREFIX.length);
      if (!DNS_SUBDOMAIN.test(nodeName)) return undefined;
      const stored = await cache.get(nodeName);
      if (!stored || stored.spec.username !== username) return undefined;
      return secretMatches(password, stored.spec.secretHash) ? nodeName : undefined;
    },

    async revokeNodeCredential(nodeName) {
      try {
        await store.delete(clusterKey(NODE_CREDENTIAL_KIND, nodeName));
      } catch (err) {
        if (err instanceof NotFoundError) {
          log.debug({ node: nodeName }, 'no node credential to revoke');
          return false;
        }
        throw err;
      } finally {
        cache.invalidate(nodeName);
      }
      log.info({ node: nodeName }, 'node credential revoked');
      return true;
    },

    close: () => cache.close(),
  };
}
