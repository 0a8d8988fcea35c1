/**
 * Which hub the CLI talks to and with what token: --server/--token, else DROVER_SERVER/DROVER_TOKEN,
 * else a kubeconfig context (--kubeconfig or $KUBECONFIG, --context; kubeconfig.ts), else the config
 * file ($DROVER_CONFIG or ~/.drover/config.json, `{ "server", "token", "certificateAuthority" }`,
 * written by the hub for the local admin), else https://127.0.0.1:7070 without a token. `certificateAuthority` (a PEM file's path, relative to the config file, or the PEM
 * itself; or $DROVER_CA_FILE) is the hub CA that https:// servers are verified against.
 */
import { readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { parseCliConfig, type CliConfig } from '../../protocol/cli-config.js';
import { ConfigError } from './errors.js';
import type { CliIO } from './io.js';
import { kubeconfigPaths, loadKubeconfigs, selectKubeconfigContext, type KubeconfigSelection } from './kubeconfig.js';

export const DEFAULT_SERVER = 'https://127.0.0.1:7070';

export interface Connection {
  server: string;
  token: string | undefined;
  /** The hub CA (PEM) to verify https:// servers against; undefined = the system's CAs. */
  certificateAuthority?: string | undefined;
  /** The file the CA came from, when it came from one. */
  certificateAuthorityPath?: string | undefined;
  /** The kubeconfig context's namespace: the default of commands given no -n. */
  namespace?: string | undefined;
  /** Where each part came from, for error messages. */
  source: string;
  configPath: string;
}

export function configPath(io: CliIO): string {
  return io.env.DROVER_CONFIG || join(io.homedir, '.drover', 'config.json');
}

function readConfig(path: string): CliConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read the CLI config ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseCliConfig(text);
  } catch (err) {
    throw new ConfigError(`the CLI config ${path} is not valid ({ "server": URL, "token": T, "certificateAuthority": PEM or path }): ${(err as Error).message}`, { cause: err });
  }
}

/** The CA's PEM from a path (relative to `baseDir`) or the PEM itself. */
function loadCertificateAuthority(value: string, baseDir: string, from: string): string {
  if (value.includes('-----BEGIN CERTIFICATE-----')) return value;
  const file = resolve(baseDir, value);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the hub CA ${file} (certificateAuthority from ${from}): ${(err as Error).message}`, { cause: err });
  }
}

export interface ConnectionFlags {
  server?: string | undefined;
  token?: string | undefined;
  /** --kubeconfig PATH: read this kubeconfig (it must exist). */
  kubeconfig?: string | undefined;
  /** --context NAME: this context of the kubeconfig instead of its current-context. */
  context?: string | undefined;
  /** Read no kubeconfig at all (`drover kubeconfig`, which writes one from the Drover config). */
  ignoreKubeconfig?: boolean;
}

/**
 * The kubeconfig context the CLI uses, if any: `--kubeconfig` (must exist), else `$KUBECONFIG`'s files
 * (missing ones skipped), else ~/.kube/config when `--context` asks for a context. undefined when no
 * kubeconfig is in use or `$KUBECONFIG` chooses no context (then the Drover config file applies).
 */
export function kubeconfigContext(flags: ConnectionFlags, io: CliIO): (KubeconfigSelection & { file: string }) | undefined {
  let paths = kubeconfigPaths(flags.kubeconfig, io.env.KUBECONFIG);
  if (!paths.length && flags.context) paths = [join(io.homedir, '.kube', 'config')];
  if (!paths.length) return undefined;
  const { config, files } = loadKubeconfigs(paths, !!flags.kubeconfig);
  const from = files.length ? files.join(delimiter) : paths.join(delimiter);
  const selection = selectKubeconfigContext(config, flags.context, from);
  if (!selection) {
    if (flags.kubeconfig || flags.context) throw new ConfigError(`the kubeconfig ${from} has no current-context: name one with --context`);
    return undefined;
  }
  // the file that defines the context's cluster is named in error messages
  return { ...selection, file: files[0] ?? paths[0]! };
}

/**
 * Precedence, field by field: --server/--token, then DROVER_SERVER/DROVER_TOKEN (and DROVER_CA_FILE),
 * then the kubeconfig context (--kubeconfig, $KUBECONFIG, --context), else the Drover config file.
 */
export function resolveConnection(flags: ConnectionFlags, io: CliIO): Connection {
  const kube = flags.ignoreKubeconfig ? undefined : kubeconfigContext(flags, io);
  const path = kube ? kube.file : configPath(io);
  const needFile = !kube && (!(flags.server ?? io.env.DROVER_SERVER) || !(flags.token ?? io.env.DROVER_TOKEN) || !io.env.DROVER_CA_FILE);
  const file = needFile ? readConfig(path) : undefined;
  let source = 'the default';
  let server = DEFAULT_SERVER;
  if (flags.server) [server, source] = [flags.server, '--server'];
  else if (io.env.DROVER_SERVER) [server, source] = [io.env.DROVER_SERVER, 'DROVER_SERVER'];
  else if (kube?.server) [server, source] = [kube.server, `context "${kube.context}" of ${path}`];
  else if (file?.server) [server, source] = [file.server, path];
  const token = flags.token || io.env.DROVER_TOKEN || kube?.token || file?.token;
  // Only an https server needs the CA: a stale path in the config must not break a plain loopback hub.
  let certificateAuthority: string | undefined;
  let certificateAuthorityPath: string | undefined;
  if (/^https:/i.test(server)) {
    if (io.env.DROVER_CA_FILE) {
      certificateAuthorityPath = resolve(io.env.DROVER_CA_FILE);
      certificateAuthority = loadCertificateAuthority(io.env.DROVER_CA_FILE, process.cwd(), 'DROVER_CA_FILE');
    } else if (kube?.certificateAuthority) {
      [certificateAuthority, certificateAuthorityPath] = [kube.certificateAuthority, kube.certificateAuthorityPath];
    } else if (file?.certificateAuthority) {
      if (!file.certificateAuthority.includes('-----BEGIN CERTIFICATE-----')) certificateAuthorityPath = resolve(dirname(path), file.certificateAuthority);
      certificateAuthority = loadCertificateAuthority(file.certificateAuthority, dirname(path), path);
    }
  }
  return { server: server.replace(/\/+$/, ''), token, certificateAuthority, certificateAuthorityPath, namespace: kube?.namespace, source, configPath: path };
}
