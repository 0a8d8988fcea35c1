import { DroverError } from '../../protocol/errors.js';

/** The error catalogue of hub/secrets (encryption of Secrets at rest). */
/** Every code this area's errors carry, with what it means (listed in its README.md too). */
export const SECRETS_ERROR_CODES = {
  ESECRETS_KEY_FILE: 'the Secret encryption key file cannot be read, created, or does not hold a 32-byte key',
  ESECRETS_DECRYPT: 'a stored Secret could not be decrypted (another key, or damaged bytes)',
} as const;

/** The key file cannot be read, created, or does not hold a 32-byte key. */
export class SecretsKeyFileError extends DroverError {
  readonly path: string;
  constructor(path: string, reason: string, options?: { cause?: unknown }) {
    super('ESECRETS_KEY_FILE', `the Secret encryption key file ${path} ${reason}`, options);
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
    super('ESECRETS_DECRYPT', `cannot decrypt Secret ${secret}: ${reason}`, options);
    this.secret = secret;
  }
}
