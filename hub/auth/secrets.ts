/**
 * Token and secret primitives. Secrets are 32 characters of [a-z0-9] from the CSPRNG (about 165 bits),
 * so a plain SHA-256 is an adequate stored form (no salt or slow hash needed for high-entropy
 * secrets); comparison is constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { customAlphabet } from 'nanoid';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const TOKEN_ID_LENGTH = 6;
export const SECRET_LENGTH = 32;

export const generateTokenId = customAlphabet(ALPHABET, TOKEN_ID_LENGTH);
export const generateSecret = customAlphabet(ALPHABET, SECRET_LENGTH);

/** The stored form of a secret: hex SHA-256. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time check of a presented secret against a stored hash. A malformed stored hash never matches. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = createHash('sha256').update(secret, 'utf8').digest();
  if (expected.length !== actual.length) return false;
  return timingSafeEqual(actual, expected);
}

export type TokenPrefix = 'drover-join' | 'drover-api';

/** `<prefix>.<id: 6 [a-z0-9]>.<secret: 32 [a-z0-9]>` */
export function formatToken(prefix: TokenPrefix, id: string, secret: string): string {
  return `${prefix}.${id}.${secret}`;
}

const TOKEN_SHAPE = new RegExp(`^([a-z-]+)\\.([a-z0-9]{${TOKEN_ID_LENGTH}})\\.([a-z0-9]{${SECRET_LENGTH}})$`);

/** Split a token of the given prefix into id and secret; undefined when it is not of that shape. */
export function parseToken(prefix: TokenPrefix, token: string): { id: string; secret: string } | undefined {
  if (typeof token !== 'string') return undefined;
  const m = TOKEN_SHAPE.exec(token.trim());
  if (!m || m[1] !== prefix) return undefined;
  return { id: m[2]!, secret: m[3]! };
}

/**
 * Create a token object under a fresh random id: `build(id)` makes the object, `create` stores it; an id
 * that is taken (AlreadyExists, one in 2 billion) is drawn again, at most `attempts` times. Returns the id.
 */
export async function createWithFreshId(build: (id: string) => Promise<void>, isTaken: (err: unknown) => boolean, attempts = 5): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const id = generateTokenId();
    try {
      await build(id);
      return id;
    } catch (err) {
      if (isTaken(err) && attempt < attempts) continue;
      throw err;
    }
  }
}
