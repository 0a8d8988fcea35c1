import { DroverError } from '../../protocol/errors.js';

/** The PKI's error catalogue (codes unique across it: see test/hub/pki/errors.test.ts). */
export const PKI_ERROR_CODES = {
  invalidRequest: 'EPKI_INVALID_REQUEST',
  storage: 'EPKI_STORAGE',
  corrupt: 'EPKI_CORRUPT',
} as const;

/** A certificate cannot be issued as asked (bad SAN, key type, dates). */
export class InvalidCertificateRequestError extends DroverError {
  constructor(reason: string) {
    super(PKI_ERROR_CODES.invalidRequest, `cannot issue the certificate: ${reason}`);
  }
}

/** Reading or writing <data dir>/pki failed. */
export class PkiStorageError extends DroverError {
  readonly path: string;
  constructor(path: string, action: string, options?: { cause?: unknown }) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(PKI_ERROR_CODES.storage, `cannot ${action} ${path}${detail}`, options);
    this.path = path;
  }
}

/** The stored CA is unusable (unparsable, key does not match): the hub refuses to invent a new one silently. */
export class PkiCorruptError extends DroverError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(
      PKI_ERROR_CODES.corrupt,
      `the hub CA in ${path} is unusable (${reason}); restore it from a backup, or move the pki/ folder away to create a new CA (every node must then join again)`,
      options,
    );
    this.path = path;
  }
}
