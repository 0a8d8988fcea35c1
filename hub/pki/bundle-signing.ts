/** The hub's signature of an agent bundle (protocol/bundle-signature.ts says what is signed), base64. */
import { bundleStatement } from '../../protocol/bundle-signature.js';
import type { Pki } from './pki.js';

export function signBundle(pki: Pick<Pki, 'signWithCa'>, fileName: string, sha256: string): string {
  return pki.signWithCa(bundleStatement(fileName, sha256)).toString('base64');
}
