/**
 * AES-256-GCM, as Kubernetes' `aesgcm` encryption provider: a random 12-byte IV per write, a 16-byte
 * tag, and the Secret's identity (namespace/name) as additional authenticated data, so a ciphertext
 * moved onto another Secret does not decrypt. Envelope: `aesgcm:<key id>:<base64 iv|tag|ciphertext>`.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretsKey } from './key-file.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'aesgcm';

export function encrypt(key: SecretsKey, plaintext: Buffer, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return `${PREFIX}:${key.id}:${Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64')}`;
}

/** Throws Error with a reason that never includes data (the caller wraps it in SecretDecryptError). */
export function decrypt(key: SecretsKey, envelope: string, aad: string): Buffer {
  const parts = envelope.split(':');
  if (parts.length !== 3 || parts[0] !== PREFIX) throw new Error('the stored value is not an aesgcm envelope');
  const [, id, body] = parts as [string, string, string];
  if (id !== key.id) {
    throw new Error(`it was encrypted with key ${id} but the key file holds key ${key.id} (was secrets.key replaced?)`);
  }
  const raw = Buffer.from(body, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('the stored ciphertext is truncated');
  const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch (err) {
    throw new Error(`authentication failed (wrong key or damaged data) for key ${key.id}`, { cause: err });
  }
}
