/**
 * What a hub vouches for when it signs an agent bundle, shared by the hub (which signs) and whatever
 * verifies on a device (install.sh's verifier, a later upgrade): the statement binds the file name (so
 * version and architecture) to its content's SHA-256, so a bundle signed for one architecture or version
 * cannot be passed off as another. Signature: ECDSA P-256 / SHA-256 with the hub CA's key, DER, base64.
 */
import { createPublicKey, verify, X509Certificate } from 'node:crypto';

/** The bytes signed: `drover-agent-bundle:v1:<file name>:<lowercase hex sha256>`. */
export function bundleStatement(fileName: string, sha256: string): Buffer {
  return Buffer.from(`drover-agent-bundle:v1:${fileName}:${sha256.toLowerCase()}`, 'utf8');
}

/** True when `signatureBase64` is the CA's signature of `fileName` having content `sha256`. */
export function verifyBundleSignature(caCertPem: string, fileName: string, sha256: string, signatureBase64: string): boolean {
  const key = createPublicKey(new X509Certificate(caCertPem).publicKey.export({ type: 'spki', format: 'pem' }));
  return verify('sha256', bundleStatement(fileName, sha256), key, Buffer.from(signatureBase64, 'base64'));
}
