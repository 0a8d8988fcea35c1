/**
 * `drover kubeconfig [--context NAME] [--namespace NS] [--user-token-file F] [--embed-ca|--no-embed-ca]
 * [--merge [--kubeconfig PATH] [--use-context]]`: a kubeconfig for the hub the CLI talks to (from
 * --server/--token, DROVER_* and the Drover config file; never from another kubeconfig), printed or
 * merged into the user's (kubectl's file: --kubeconfig, $KUBECONFIG, ~/.kube/config), written 0600.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { writeFileDurable } from '../../../protocol/durable-file.js';
import { resolveConnection } from '../config.js';
import { ConfigError, UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import { parseKubeconfig, type Kubeconfig } from '../kubeconfig.js';
import { buildKubeconfig, formatKubeconfig, kubeconfigMergeTarget, mergeIntoKubeconfig, type KubeconfigEntry } from '../kubeconfig-write.js';

export const DEFAULT_CONTEXT_NAME = 'drover';

interface KubeconfigFlags {
  context: string;
  namespace: string;
  userTokenFile?: string;
  embedCa?: boolean;
  merge?: boolean;
  kubeconfig?: string;
  useContext?: boolean;
  server?: string;
  token?: string;
}

async function readToken(file: string): Promise<string> {
  const token = (await readFile(file, 'utf8').catch((err: Error) => {
    throw new ConfigError(`cannot read --user-token-file ${file}: ${err.message}`, { cause: err });
  })).trim();
  if (!token) throw new UsageError(`--user-token-file ${file} is empty`);
  return token;
}

/** The cluster, user and context for the hub the connection flags name. */
export async function kubeconfigEntry(flags: KubeconfigFlags, io: CliIO): Promise<KubeconfigEntry> {
  if (!flags.context.trim()) throw new UsageError('--context must name the context');
  const conn = resolveConnection({ server: flags.server, token: flags.token, ignoreKubeconfig: true }, io);
  const token = flags.userTokenFile ? await readToken(flags.userTokenFile) : conn.token;
  if (!token) throw new UsageError(`no token for the kubeconfig's user: give --user-token-file (e.g. from drover token create --role edit) or --token, or start the hub so that it writes ${conn.configPath}`);
  if (!/^https:/i.test(conn.server)) io.err(`warning: ${conn.server} is plain HTTP: kubectl sends no token over it (start the hub without --insecure-http)\n`);
  else if (!conn.certificateAuthority) io.err(`warning: no hub CA known (the config file names none, no DROVER_CA_FILE): kubectl will check ${conn.server} against the system's CAs\n`);
  const byPath = flags.embedCa === false && conn.certificateAuthorityPath !== undefined;
  return {
    name: flags.context,
    server: conn.server,
    ...(byPath ? { certificateAuthorityPath: conn.certificateAuthorityPath } : { certificateAuthority: conn.certificateAuthority }),
    token,
    namespace: flags.namespace,
  };
}

async function readExisting(path: string): Promise<Kubeconfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read the kubeconfig ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseKubeconfig(text);
  } catch (err) {
    throw new ConfigError(`the kubeconfig ${path} is not valid (left as it is): ${(err as Error).message}`, { cause: err });
  }
}

export function registerKubeconfigCommand(program: Command, io: CliIO): void {
  program
    .command('kubeconfig')
    .description("print a kubeconfig for this hub (its CA, a token, a context), or merge it into kubectl's")
    .option('--context <name>', 'name of the context (and of its cluster and user)', DEFAULT_CONTEXT_NAME)
    .option('-n, --namespace <ns>', "the context's namespace", 'default')
    .option('--user-token-file <file>', "the user's token from this file (default: the CLI's own token, the admin's)")
    .option('--embed-ca', 'embed the hub CA as certificate-authority-data (the default: the file works anywhere)')
    .option('--no-embed-ca', 'name the CA file (certificate-authority) instead of embedding it')
    .option('--merge', "merge into kubectl's kubeconfig instead of printing: other clusters, users and contexts stay")
    .option('--kubeconfig <file>', 'the kubeconfig --merge writes (default: the first of $KUBECONFIG that exists, ~/.kube/config)')
    .option('--use-context', 'with --merge: make the context current (it is anyway when there was none)')
    .option('--server <url>', 'the hub API (default: $DROVER_SERVER, the config file)')
    .option('--token <token>', "the user's token (default: $DROVER_TOKEN, the config file)")
    .action(async (flags: KubeconfigFlags) => {
      if (!flags.merge && (flags.kubeconfig || flags.useContext)) throw new UsageError('--kubeconfig and --use-context go with --merge');
      const added = buildKubeconfig(await kubeconfigEntry(flags, io));
      if (!flags.merge) {
        io.out(formatKubeconfig(added));
        return;
      }
      const target = kubeconfigMergeTarget(flags.kubeconfig, io.env.KUBECONFIG, io.homedir, existsSync);
      const merged = mergeIntoKubeconfig(await readExisting(target), added, flags.useContext ?? false);
      await writeFileDurable(target, formatKubeconfig(merged.config), { mode: 0o600 });
      const what = `${merged.replaced.length ? 'updated' : 'added'} context "${flags.context}" in ${target}`;
      const current = merged.switched
        ? `current-context is now "${merged.currentContext}"`
        : merged.currentContext === flags.context
          ? `current-context stays "${flags.context}"`
          : `current-context stays "${merged.currentContext}" (kubectl config use-context ${flags.context}, or --use-context)`;
      io.out(`${what}; ${current}\n`);
    });
}
