/**
 * The hub's credentials in one service: join tokens (devices enrolling), node credentials (MQTT login
 * of joined nodes), API tokens (HTTP API / CLI), and the local admin token file. Everything is stored
 * through the Store as internal kinds with only hashes of secrets.
 */
import type { Logger } from '../../protocol/logger.js';
import type { Store } from '../store/store.js';
import { ensureAdminToken } from './admin-token.js';
import { createApiTokens, type ApiTokens } from './api-tokens.js';
import { createJoinTokens, type JoinTokens } from './join-tokens.js';
import { createNodeCredentials, type NodeCredentials } from './node-credentials.js';

export interface AuthService extends JoinTokens, Omit<NodeCredentials, 'close'>, Omit<ApiTokens, 'close'> {
  /** The local admin token, kept in `path` (0600); created on first start, recreated if revoked or lost. */
  ensureAdminToken(path: string): Promise<string>;
  /** Stop watching the store (the verify caches). Idempotent. */
  close(): void;
}

export interface AuthServiceOptions {
  store: Store;
  logger: Logger;
  /** Milliseconds since the epoch; decides join token expiry. Default Date.now. */
  clock?: () => number;
  /** Hex SHA-256 of the hub CA certificate (hub/pki): join tokens are then issued as `K10<hash>::...`. */
  caFingerprint?: string | undefined;
}

export function createAuthService(opts: AuthServiceOptions): AuthService {
  // The caller may already have made our child logger; do not add the binding twice.
  const logger = opts.logger.bindings().component === 'auth' ? opts.logger : opts.logger.child({ component: 'auth' });
  const clock = opts.clock ?? Date.now;
  const deps = { store: opts.store, logger, clock };
  const joinTokens = createJoinTokens({ ...deps, caFingerprint: opts.caFingerprint });
  const nodeCredentials = createNodeCredentials(deps);
  const apiTokens = createApiTokens(deps);
  let closed = false;

  return {
    createJoinToken: (o) => joinTokens.createJoinToken(o),
    verifyJoinToken: (token) => joinTokens.verifyJoinToken(token),
    consumeJoinToken: (id) => joinTokens.consumeJoinToken(id),
    listJoinTokens: () => joinTokens.listJoinTokens(),
    revokeJoinToken: (id) => joinTokens.revokeJoinToken(id),
    deleteExpiredJoinTokens: () => joinTokens.deleteExpiredJoinTokens(),
    issueNodeCredential: (nodeName) => nodeCredentials.issueNodeCredential(nodeName),
    verifyNodeCredential: (username, password) => nodeCredentials.verifyNodeCredential(username, password),
    revokeNodeCredential: (nodeName) => nodeCredentials.revokeNodeCredential(nodeName),
    createApiToken: (o) => apiTokens.createApiToken(o),
    verifyApiToken: (token) => apiTokens.verifyApiToken(token),
    listApiTokens: () => apiTokens.listApiTokens(),
    revokeApiToken: (id) => apiTokens.revokeApiToken(id),
    ensureAdminToken: (path) => ensureAdminToken({ path, tokens: apiTokens, logger }),
    close() {
      if (closed) return;
      closed = true;
      nodeCredentials.close();
      apiTokens.close();
    },
  };
}
