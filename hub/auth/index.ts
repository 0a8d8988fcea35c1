export { createAuthService, type AuthService, type AuthServiceOptions } from './auth-service.js';
export * from './errors.js';
export * from './kinds.js';
export { DEFAULT_JOIN_TOKEN_TTL_SECONDS, type JoinTokenInfo, type JoinTokenVerdict } from './join-tokens.js';
export { NODE_USERNAME_PREFIX } from './node-credentials.js';
export type { ApiPrincipal, ApiTokenInfo } from './api-tokens.js';
