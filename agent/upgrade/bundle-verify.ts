/**
 * A downloaded bundle is installed only if its size and SHA-256 are what the hub's index says and the hub
 * CA signed that name with that hash (protocol/bundle-signature.ts): a bundle for another version or
 * architecture, a tampered byte or a signature of another CA is refused.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { verifyBundleSignature } from '../../protocol/bundle-signature.js';
import type { BundleIndexEntry as AgentBundleRef } from '../../protocol/agent-bundle.js';
import { BundleInvalidError } from '../errors.js';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Throws BundleInvalidError unless the file at `path` is the bundle `ref` describes, signed by `caPem`. */
export async function verifyBundle(path: string, ref: AgentBundleRef, caPem: string): Promise<void> {
  const size = (await stat(path)).size;
  if (size !== ref.size) throw new BundleInvalidError(ref.file, `it has ${size} bytes, the hub's index says ${ref.size}`);
  const sha = await sha256File(path);
  if (sha !== ref.sha256) throw new BundleInvalidError(ref.file, `its SHA-256 is ${sha}, the hub's index says ${ref.sha256}`);
  let signed: boolean;
  try {
    signed = verifyBundleSignature(caPem, ref.file, sha, ref.signature);
  } catch (err) {
    throw new BundleInvalidError(ref.file, `its signature cannot be checked: ${(err as Error).message}`);
  }
  if (!signed) throw new BundleInvalidError(ref.file, 'its signature is not the hub CA\'s');
}
