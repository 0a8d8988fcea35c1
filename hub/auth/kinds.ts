/**
 * The hub's internal credential kinds, stored through the Store like any object but never served by
 * the Kubernetes-shaped API. Cluster-scoped (namespace ''). Only hashes of secrets are stored.
 */
import type { KubeObject } from '../../protocol/objects/meta.js';

export const AUTH_API_VERSION = 'drover.io/v1';
export const JOIN_TOKEN_KIND = 'JoinToken';
export const NODE_CREDENTIAL_KIND = 'NodeCredential';
export const API_TOKEN_KIND = 'ApiToken';

/** Kinds the API must never list, get or watch as objects (they hold credential hashes). */
export const INTERNAL_AUTH_KINDS: readonly string[] = [JOIN_TOKEN_KIND, NODE_CREDENTIAL_KIND, API_TOKEN_KIND];

export type ApiRole = 'admin' | 'edit' | 'view';
export const API_ROLES: readonly ApiRole[] = ['admin', 'edit', 'view'];

/** metadata.name is the token id. */
export interface JoinTokenObject extends KubeObject {
  apiVersion: typeof AUTH_API_VERSION;
  kind: typeof JOIN_TOKEN_KIND;
  spec: { secretHash: string; expiresAt: string; singleUse: boolean; description?: string };
  status?: { uses: number; lastUsedAt?: string };
}

/** metadata.name is the node name. */
export interface NodeCredentialObject extends KubeObject {
  apiVersion: typeof AUTH_API_VERSION;
  kind: typeof NODE_CREDENTIAL_KIND;
  spec: { username: string; secretHash: string; issuedAt: string };
}

/** metadata.name is the token id. */
export interface ApiTokenObject extends KubeObject {
  apiVersion: typeof AUTH_API_VERSION;
  kind: typeof API_TOKEN_KIND;
  spec: { role: ApiRole; namespace?: string; description?: string; secretHash: string };
}

export const clusterKey = (kind: string, name: string) => ({ kind, namespace: '', name });
