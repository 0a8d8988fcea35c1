import { DroverError } from '../../protocol/errors.js';

/** Every code the bundle catalogue's errors carry, with what it means (listed in its README.md too). */
export const BUNDLES_ERROR_CODES = {
  EBUNDLES_NOT_FOUND: 'no agent bundle of that file name, or none for that architecture, in the hub\'s bundle directories',
  EBUNDLES_BAD_NAME: 'a requested bundle name that is not drover-agent-<version>-linux-<arch>.tar.gz',
  EBUNDLES_READ: 'a bundle directory or file could not be read',
} as const;

/** No bundle of that name, or none for an architecture. */
export class BundleNotFoundError extends DroverError {
  constructor(message: string) {
    super('EBUNDLES_NOT_FOUND', message);
  }
}

/** A requested name that is not a bundle file name (a path, another file, an encoded separator). */
export class BadBundleNameError extends DroverError {
  constructor(name: string) {
    super('EBUNDLES_BAD_NAME', `${JSON.stringify(name.slice(0, 200))} is not an agent bundle name (drover-agent-<version>-linux-<arch>.tar.gz)`);
  }
}

/** A bundle directory or file that could not be read (other than not being there). */
export class BundleReadError extends DroverError {
  constructor(path: string, options?: { cause?: unknown }) {
    super('EBUNDLES_READ', `cannot read agent bundles at ${path}`, options);
  }
}
