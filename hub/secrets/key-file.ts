/**
 * The key that encrypts Secrets at rest: 32 random bytes, base64 in `<hub data dir>/secrets.key`,
 * mode 0600, created (atomically) on first start. Like the key of a Kubernetes EncryptionConfiguration,
 * whoever holds this file and the database can read every Secret: back them up apart.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../../protocol/logger.js';
import { writeFileDurable } from '../../protocol/durable-file.js';
import { SecretsKeyFileError } from './errors.js';

export const KEY_BYTES = 32;

export interface SecretsKey {
  /** The AES-256 key. */
  key: Buffer;
  /** A short public name of the key (first 8 hex digits of its SHA-256), written beside each ciphertext. */
  id: string;
}

export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Read the key file, or create it with a fresh random key when it does not exist. */
export async function loadOrCreateKey(path: string, logger: Logger): Promise<SecretsKey> {
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new SecretsKeyFileError(path, `cannot be read: ${(err as Error).message}`, { cause: err });
  }
  if (text === undefined) {
    const key = randomBytes(KEY_BYTES);
    try {
      await writeFileDurable(path, `${key.toString('base64')}\n`, { mode: 0o600 });
    } catch (err) {
      throw new SecretsKeyFileError(path, `cannot be created: ${(err as Error).message}`, { cause: err });
    }
    logger.info({ keyFile: path, keyId: keyId(key) }, 'created a new key for encrypting Secrets at rest');
    return { key, id: keyId(key) };
  }
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || key.length !== KEY_BYTES) {
    throw new SecretsKeyFileError(path, `must hold ${KEY_BYTES} bytes in base64 (it holds something else)`);
  }
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) logger.warn({ keyFile: path, mode: mode.toString(8) }, 'the Secret encryption key file is readable by others: chmod 600 it');
  return { key, id: keyId(key) };
}
