/**
 * Writing kubeconfigs (`drover kubeconfig`): one hub as a cluster (server and CA), a user (a bearer
 * token) and a context (cluster, user, namespace); merged into an existing config without touching
 * its other clusters, users and contexts, switching current-context only when asked or when there was
 * none; which file kubectl would write to. Pure.
 */
import { delimiter, join } from 'node:path';
import { stringify } from 'yaml';
import type { Kubeconfig } from './kubeconfig.js';

export interface KubeconfigEntry {
  /** The context's name; the cluster and the user are named after it. */
  name: string;
  server: string;
  /** The hub CA's PEM, embedded as certificate-authority-data (portable: the file works anywhere). */
  certificateAuthority?: string | undefined;
  /** Name the CA file instead of embedding it (`--embed-ca=false`). */
  certificateAuthorityPath?: string | undefined;
  token: string;
  namespace: string;
}

/** A whole kubeconfig with one cluster, user and context, the context current. */
export function buildKubeconfig(e: KubeconfigEntry): Kubeconfig {
  const cluster: Record<string, string> = { server: e.server };
  if (e.certificateAuthorityPath) cluster['certificate-authority'] = e.certificateAuthorityPath;
  else if (e.certificateAuthority) cluster['certificate-authority-data'] = Buffer.from(e.certificateAuthority, 'utf8').toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: e.name, cluster }],
    users: [{ name: e.name, user: { token: e.token } }],
    contexts: [{ name: e.name, context: { cluster: e.name, user: e.name, namespace: e.namespace } }],
    'current-context': e.name,
    preferences: {},
  };
}

const KEY_ORDER = ['apiVersion', 'kind', 'clusters', 'users', 'contexts', 'current-context', 'preferences'];

/** YAML text, kubectl's keys first. */
export function formatKubeconfig(config: Kubeconfig): string {
  const ordered: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (config[key] !== undefined) ordered[key] = config[key];
  for (const [key, value] of Object.entries(config)) if (!(key in ordered) && value !== undefined) ordered[key] = value;
  return stringify(ordered, { lineWidth: 0 });
}

export interface MergeResult {
  config: Kubeconfig;
  /** current-context after the merge. */
  currentContext: string | undefined;
  /** Whether current-context changed. */
  switched: boolean;
  /** Names of the entries `added` replaced (same name in `existing`). */
  replaced: string[];
}

/**
 * `added`'s clusters, users and contexts into `existing` (entries of the same name replaced, in place;
 * everything else kept as it was). current-context becomes `added`'s when `useContext` or when
 * `existing` had none.
 */
export function mergeIntoKubeconfig(existing: Kubeconfig | undefined, added: Kubeconfig, useContext: boolean): MergeResult {
  const base: Kubeconfig = existing ?? { apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [], preferences: {} };
  const replaced: string[] = [];
  const upsert = <T extends { name: string }>(list: T[], items: T[], what: string): T[] => {
    const out = [...list];
    for (const item of items) {
      const i = out.findIndex((o) => o.name === item.name);
      if (i >= 0) {
        out[i] = item;
        replaced.push(`${what} "${item.name}"`);
      } else out.push(item);
    }
    return out;
  };
  const before = base['current-context'] || undefined;
  const currentContext = useContext || !before ? (added['current-context'] ?? before) : before;
  const config: Kubeconfig = {
    ...base,
    apiVersion: base.apiVersion ?? 'v1',
    kind: base.kind ?? 'Config',
    clusters: upsert(base.clusters, added.clusters, 'cluster'),
    users: upsert(base.users, added.users, 'user'),
    contexts: upsert(base.contexts, added.contexts, 'context'),
    'current-context': currentContext,
  };
  return { config, currentContext, switched: currentContext !== before, replaced };
}

/**
 * The file a merge writes, as kubectl picks it: `--kubeconfig`; else the first file of `$KUBECONFIG`
 * that exists, or its last when none does; else ~/.kube/config.
 */
export function kubeconfigMergeTarget(explicit: string | undefined, envList: string | undefined, homedir: string, exists: (path: string) => boolean): string {
  if (explicit) return explicit;
  const list = (envList ?? '').split(delimiter).filter(Boolean);
  if (list.length) return list.find(exists) ?? list[list.length - 1]!;
  return join(homedir, '.kube', 'config');
}
