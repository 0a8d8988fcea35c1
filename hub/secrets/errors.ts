import { DroverError } from '../../protocol/errors.js';

/** The error catalogue of hub/secrets (encryption of Secrets at rest). */
export const SECRETS_ERROR_CODES = {
  keyFile: 'ESECRETS_KEY_FILE',
  decrypt: 'ESECRETS_DECRYPT',
} as const;

/** The key file cannot be read, created, or does not hold a 32-byte key. */
export class SecretsKeyFileError extends DroverError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super(SECRETS_ERROR_CODES.keyFile, `the Secret encryption key file ${path} ${reason}`, options);
    this.path = path;
  }
}

/**
 * A stored Secret could not be decrypted: it was encrypted with another key than the one in the key
 * file, or the stored bytes are damaged. Never carries any part of the plaintext.
 */
export class SecretDecryptError extends DroverError {
  readonly secret: string;
  constructor(secret: string, reason: string, options?: { cause?: unknown }) {
    super(SECRETS_ERROR_CODES.decrypt, `cannot decrypt Secret ${secret}: ${reason}`, options);
    this.secret = secret;
  }
}
