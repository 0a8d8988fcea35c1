/**
 * Reading kubeconfigs as kubectl does (client-go's clientcmd loader): the files of `--kubeconfig` or
 * `$KUBECONFIG` (a list, path.delimiter-separated, missing files skipped), merged so that the first
 * file to name a cluster, user or context wins and the first `current-context` wins; relative paths
 * (`certificate-authority`, `tokenFile`) resolved against the file that holds them. Then one context:
 * its server, CA (`certificate-authority-data`, which wins over `certificate-authority`), token
 * (`token`, else `tokenFile`) and namespace. Pure apart from reading the files.
 */
import { readFileSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors.js';

const namedList = <T extends z.ZodTypeAny>(key: string, inner: T) =>
  z
    .array(z.object({ name: z.string().min(1), [key]: inner.nullish() }).passthrough())
    .nullish()
    .transform((list) => list ?? []);

const clusterSchema = z
  .object({
    server: z.string().optional(),
    'certificate-authority': z.string().optional(),
    'certificate-authority-data': z.string().optional(),
  })
  .passthrough();
const userSchema = z.object({ token: z.string().optional(), tokenFile: z.string().optional() }).passthrough();
const contextSchema = z.object({ cluster: z.string().optional(), user: z.string().optional(), namespace: z.string().optional() }).passthrough();

export const kubeconfigSchema = z
  .object({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    clusters: namedList('cluster', clusterSchema),
    users: namedList('user', userSchema),
    contexts: namedList('context', contextSchema),
    'current-context': z.string().nullish(),
  })
  .passthrough();

export type KubeconfigCluster = z.infer<typeof clusterSchema>;
export type KubeconfigUser = z.infer<typeof userSchema>;
export type KubeconfigContext = z.infer<typeof contextSchema>;
export interface Kubeconfig {
  apiVersion?: string | undefined;
  kind?: string | undefined;
  clusters: { name: string; cluster?: KubeconfigCluster | null | undefined; [k: string]: unknown }[];
  users: { name: string; user?: KubeconfigUser | null | undefined; [k: string]: unknown }[];
  contexts: { name: string; context?: KubeconfigContext | null | undefined; [k: string]: unknown }[];
  'current-context'?: string | null | undefined;
  [k: string]: unknown;
}

/** A kubeconfig's text (YAML or JSON); an empty file is an empty config. Throws an Error naming the field. */
export function parseKubeconfig(text: string): Kubeconfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  const result = kubeconfigSchema.safeParse(doc ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || '(top level)'}: ${issue.message}`, { cause: result.error });
  }
  return result.data as Kubeconfig;
}

/** Which files: `--kubeconfig` alone, else `$KUBECONFIG`'s list (deduplicated, empty entries dropped). */
export function kubeconfigPaths(explicit: string | undefined, envList: string | undefined): string[] {
  if (explicit) return [explicit];
  return [...new Set((envList ?? '').split(delimiter).filter(Boolean))];
}

function absolute(path: string | undefined, base: string): string | undefined {
  return path === undefined || path === '' || isAbsolute(path) ? path : resolve(base, path);
}

/** One file's config with its relative paths made absolute (against the file's directory). */
function withLocalPathsResolved(config: Kubeconfig, file: string): Kubeconfig {
  const base = dirname(resolve(file));
  return {
    ...config,
    clusters: config.clusters.map((c) => (c.cluster ? { ...c, cluster: { ...c.cluster, 'certificate-authority': absolute(c.cluster['certificate-authority'], base) } } : c)),
    users: config.users.map((u) => (u.user ? { ...u, user: { ...u.user, tokenFile: absolute(u.user.tokenFile, base) } } : u)),
  };
}

/** kubectl's merge of several files: the first to name an entry (or set current-context) wins. */
export function mergeKubeconfigs(configs: Kubeconfig[]): Kubeconfig {
  const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
    const seen = new Map<string, T>();
    for (const list of lists) for (const item of list) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: firstByName(configs.map((c) => c.clusters)),
    users: firstByName(configs.map((c) => c.users)),
    contexts: firstByName(configs.map((c) => c.contexts)),
    'current-context': configs.map((c) => c['current-context']).find((name) => !!name) ?? undefined,
  };
}

export interface LoadedKubeconfig {
  config: Kubeconfig;
  /** The files that exist and were read, in order. */
  files: string[];
}

/** Read and merge `paths`; a missing file is an error only when `mustExist` (an explicit --kubeconfig). */
export function loadKubeconfigs(paths: string[], mustExist: boolean): LoadedKubeconfig {
  const configs: Kubeconfig[] = [];
  const files: string[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !mustExist) continue;
      throw new ConfigError(`cannot read the kubeconfig ${path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      configs.push(withLocalPathsResolved(parseKubeconfig(text), path));
    } catch (err) {
      throw new ConfigError(`the kubeconfig ${path} is not valid: ${(err as Error).message}`, { cause: err });
    }
    files.push(path);
  }
  return { config: mergeKubeconfigs(configs), files };
}

/** What one context gives the CLI. */
export interface KubeconfigSelection {
  context: string;
  server: string | undefined;
  /** The CA's PEM (from certificate-authority-data or the certificate-authority file). */
  certificateAuthority: string | undefined;
  /** The CA file, when the CA came from one. */
  certificateAuthorityPath: string | undefined;
  token: string | undefined;
  namespace: string | undefined;
}

function readNamed(file: string, what: string, context: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${file} (context "${context}"): ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The context `name` (else current-context) of a merged config; undefined when none is chosen. A named
 * context, cluster or user that is missing is a ConfigError, as kubectl makes it.
 */
export function selectKubeconfigContext(config: Kubeconfig, name: string | undefined, from: string): KubeconfigSelection | undefined {
  const contextName = name || config['current-context'] || undefined;
  if (!contextName) return undefined;
  const entry = config.contexts.find((c) => c.name === contextName);
  if (!entry) throw new ConfigError(`context "${contextName}" is not in ${from}`);
  const context = entry.context ?? {};
  const cluster = context.cluster ? config.clusters.find((c) => c.name === context.cluster) : undefined;
  if (context.cluster && !cluster) throw new ConfigError(`cluster "${context.cluster}" of context "${contextName}" is not in ${from}`);
  const user = context.user ? config.users.find((u) => u.name === context.user) : undefined;
  if (context.user && !user) throw new ConfigError(`user "${context.user}" of context "${contextName}" is not in ${from}`);
  const c = cluster?.cluster ?? {};
  const u = user?.user ?? {};
  let certificateAuthority: string | undefined;
  let certificateAuthorityPath: string | undefined;
  if (c['certificate-authority-data']) certificateAuthority = Buffer.from(c['certificate-authority-data'], 'base64').toString('utf8');
  else if (c['certificate-authority']) {
    certificateAuthorityPath = c['certificate-authority'];
    certificateAuthority = readNamed(certificateAuthorityPath, 'the CA', contextName);
  }
  const token = u.token || (u.tokenFile ? readNamed(u.tokenFile, 'the token file', contextName).trim() : undefined) || undefined;
  return { context: contextName, server: c.server || undefined, certificateAuthority, certificateAuthorityPath, token, namespace: context.namespace || undefined };
}
