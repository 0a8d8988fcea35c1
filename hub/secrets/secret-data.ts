/** Secret payload rules of the Kubernetes API server, pure. */
import { canonicalJson } from '../../protocol/canonical-json.js';
import type { KubeObject } from '../../protocol/objects/meta.js';

export type SecretLike = KubeObject & { data?: Record<string, string>; stringData?: Record<string, string> };

/**
 * `stringData` is write-only: each entry is merged into `data` as base64 (taking precedence over a
 * `data` entry of the same key) and `stringData` itself is never stored or returned.
 */
export function mergeStringData(secret: SecretLike): SecretLike {
  const { stringData, ...rest } = secret;
  if (!stringData) return rest;
  const data = { ...(rest.data ?? {}) };
  for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v, 'utf8').toString('base64');
  return { ...rest, data };
}

/** Canonical text of a data map (sorted keys), for encryption and comparison. */
export function canonicalData(data: Record<string, string> | undefined): string {
  return canonicalJson(data ?? {});
}
