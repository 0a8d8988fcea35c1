import { DroverError } from '../../protocol/errors.js';

/** The PKI's error catalogue (codes unique across it: see test/hub/pki/errors.test.ts). */
/** Every code this area's errors carry, with what it means (listed in its README.md too). */
export const PKI_ERROR_CODES = {
  EPKI_INVALID_REQUEST: 'a certificate cannot be issued as asked (bad SAN, key type, dates)',
  EPKI_STORAGE: 'reading or writing <data dir>/pki failed',
  EPKI_CORRUPT: 'the stored CA is unusable (unparsable, key does not match)',
} as const;

/** A certificate cannot be issued as asked (bad SAN, key type, dates). */
export class InvalidCertificateRequestError extends DroverError {
  constructor(reason: string) {
    super('EPKI_INVALID_REQUEST', `cannot issue the certificate: ${reason}`);
  }
}

/** Reading or writing <data dir>/pki failed. */
export class PkiStorageError extends DroverError {
  readonly path: string;
  constructor(path: string, action: string, options?: { cause?: unknown }) {
    const detail = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('EPKI_STORAGE', `cannot ${action} ${path}${detail}`, options);
    this.path = path;
  }
}

/** The stored CA is unusable (unparsable, key does not match): the hub refuses to invent a new one silently. */
export class PkiCorruptError extends DroverError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(
      'EPKI_CORRUPT',
      `the hub CA in ${path} is unusable (${reason}); restore it from a backup, or move the pki/ folder away to create a new CA (every node must then join again)`,
      options,
    );
    this.path = path;
  }
}
