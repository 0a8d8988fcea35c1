import { DroverError } from '../../protocol/errors.js';

/** Every code the image store's errors carry, with what it means (listed in its README.md too). */
export const IMAGES_ERROR_CODES = {
  EIMAGES_BAD_ARCHIVE: 'a pushed file is not a docker-save or OCI image archive, or is truncated or damaged',
  EIMAGES_DIGEST_MISMATCH: "a blob's content does not match the sha256 digest it is stored under",
  EIMAGES_NOT_FOUND: 'no image of that name and tag (or no such blob) in the hub',
  EIMAGES_BAD_REFERENCE: 'an image reference that is not NAME[:TAG] with a valid name',
} as const;

/** A pushed archive that cannot be read as an image (not a tar, truncated, no index.json/manifest.json, a missing blob). */
export class BadImageArchiveError extends DroverError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('EIMAGES_BAD_ARCHIVE', `not a usable image archive (docker save or OCI layout): ${reason}`, options);
  }
}

/** A blob whose bytes hash to another digest than the one it claims (a damaged archive). */
export class DigestMismatchError extends DroverError {
  constructor(what: string, expected: string, actual: string) {
    super('EIMAGES_DIGEST_MISMATCH', `${what}: content is ${actual}, not the ${expected} it is named by (the archive is damaged)`);
  }
}

/** No such image (name:tag) or blob in the hub's image store. */
export class ImageNotFoundError extends DroverError {
  constructor(what: string) {
    super('EIMAGES_NOT_FOUND', `${what} not found in the hub's images (see drover image ls)`);
  }
}

/** An image reference that does not parse. */
export class BadImageReferenceError extends DroverError {
  constructor(ref: string, reason: string) {
    super('EIMAGES_BAD_REFERENCE', `invalid image reference ${JSON.stringify(ref)}: ${reason}`);
  }
}
