import { DroverError } from '../../protocol/errors.js';

/**
 * hub/auth's error catalogue. Unknown ids on revoke/consume throw the store's NotFoundError
 * (kind JoinToken / ApiToken), so the API maps them to 404 like any other object.
 */
export const AUTH_ERROR_CODES = {
  invalidRequest: 'EAUTHREQUEST',
  joinTokenUnusable: 'EJOINTOKENUNUSABLE',
  adminTokenFile: 'EADMINTOKENFILE',
} as const;

/** A caller passed something the auth service cannot accept (unknown role, bad node name, bad TTL). */
export class InvalidAuthRequestError extends DroverError {
  constructor(readonly field: string, reason: string) {
    super(AUTH_ERROR_CODES.invalidRequest, `${field}: ${reason}`);
  }
}

/** consumeJoinToken() on a token that may no longer be used. */
export class JoinTokenUnusableError extends DroverError {
  constructor(readonly id: string, readonly reason: 'expired' | 'used') {
    super(AUTH_ERROR_CODES.joinTokenUnusable, `join token ${id} is ${reason === 'used' ? 'single-use and already used' : 'expired'}`);
  }
}

/** The local admin token file could not be read or written. */
export class AdminTokenFileError extends DroverError {
  constructor(readonly path: string, action: 'read' | 'write', options?: { cause?: unknown }) {
    super(AUTH_ERROR_CODES.adminTokenFile, `cannot ${action} the admin token file ${path}`, options);
  }
}
