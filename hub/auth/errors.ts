import { DroverError } from '../../protocol/errors.js';

/**
 * hub/auth's error catalogue. Unknown ids on revoke/consume throw the store's NotFoundError
 * (kind JoinToken / ApiToken), so the API maps them to 404 like any other object.
 */
/** Every code this area's errors carry, with what it means (listed in its README.md too). */
export const AUTH_ERROR_CODES = {
  EAUTH_INVALID_REQUEST: 'a caller passed something the auth service cannot accept (unknown role, bad node name, bad TTL)',
  EAUTH_JOIN_TOKEN_UNUSABLE: 'a join token that may no longer be used (expired, or single-use and used)',
  EAUTH_ADMIN_TOKEN_FILE: 'the local admin token file could not be read or written',
} as const;

/** A caller passed something the auth service cannot accept (unknown role, bad node name, bad TTL). */
export class InvalidAuthRequestError extends DroverError {
  constructor(readonly field: string, reason: string) {
    super('EAUTH_INVALID_REQUEST', `${field}: ${reason}`);
  }
}

/** consumeJoinToken() on a token that may no longer be used. */
export class JoinTokenUnusableError extends DroverError {
  constructor(readonly id: string, readonly reason: 'expired' | 'used') {
    super('EAUTH_JOIN_TOKEN_UNUSABLE', `join token ${id} is ${reason === 'used' ? 'single-use and already used' : 'expired'}`);
  }
}

/** The local admin token file could not be read or written. */
export class AdminTokenFileError extends DroverError {
  constructor(readonly path: string, action: 'read' | 'write', options?: { cause?: unknown }) {
    super('EAUTH_ADMIN_TOKEN_FILE', `cannot ${action} the admin token file ${path}`, options);
  }
}
