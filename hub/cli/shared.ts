/** Helpers the commands share: the API client from global flags, kinds, namespaces, durations. */
import type { Command } from 'commander';
import { resolveResource, type KindInfo } from '../../protocol/kinds.js';
import type { KubeObject } from '../../protocol/objects/meta.js';
import { createClient, type ApiClient } from './client.js';
import { kubeconfigContext, resolveConnection } from './config.js';
import { ServerError, UsageError } from './errors.js';
import type { CliIO } from './io.js';

export interface GlobalFlags {
  server?: string;
  token?: string;
  kubeconfig?: string;
  context?: string;
}

/**
 * Let an API command take --server/--token/--kubeconfig/--context after its name too (`drover get
 * pods --token T`). Given no -n/--namespace, it takes the kubeconfig context's namespace
 * (applyContextNamespace; source "config": `apply` enforces only a namespace given on the command
 * line, as kubectl does).
 */
export function withConnectionOptions(cmd: Command): Command {
  apiCommands.add(cmd);
  return cmd
    .option('--server <url>', 'the hub API (default: $DROVER_SERVER, the kubeconfig context, the config file)')
    .option('--token <token>', 'API token (default: $DROVER_TOKEN, the kubeconfig context, the config file)')
    .option('--kubeconfig <file>', 'read server, CA, token and namespace from this kubeconfig (default: $KUBECONFIG)')
    .option('--context <name>', 'the kubeconfig context to use (default: its current-context)');
}

/** The commands withConnectionOptions made: those that talk to a hub. */
const apiCommands = new WeakSet<Command>();

/**
 * Set an unset --namespace of an API command from the kubeconfig context, if one is in use and names
 * one (program.ts runs this before every action).
 */
export function applyContextNamespace(cmd: Command, io: CliIO): void {
  // kubectl's -n (the objects' namespace), not token create's --namespace (a token's scope)
  if (!apiCommands.has(cmd) || !cmd.options.some((o) => o.short === '-n' && o.attributeName() === 'namespace') || cmd.getOptionValue('namespace') !== undefined) return;
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  const namespace = kubeconfigContext({ kubeconfig: flags.kubeconfig, context: flags.context }, io)?.namespace;
  if (namespace) cmd.setOptionValueWithSource('namespace', namespace, 'config');
}

export function clientFor(cmd: Command, io: CliIO): ApiClient {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  return createClient(resolveConnection({ server: flags.server, token: flags.token, kubeconfig: flags.kubeconfig, context: flags.context }, io));
}

/** "pods", "po", "pod,node", "deployments.apps" -> kinds. */
export function resolveKinds(text: string): KindInfo[] {
  return text.split(',').map((part) => {
    const info = resolveResource(part.trim());
    if (!info) throw new UsageError(`the server doesn't have a resource type "${part.trim()}"`);
    return info;
  });
}

/** "pod/web" -> [kind, name]; undefined when there is no slash. */
export function splitKindName(text: string): [KindInfo, string] | undefined {
  const i = text.indexOf('/');
  if (i < 0) return undefined;
  const [info] = resolveKinds(text.slice(0, i));
  return [info!, text.slice(i + 1)];
}

export function namespaceFor(info: KindInfo, namespace: string | undefined): string | undefined {
  return info.namespaced ? namespace ?? 'default' : undefined;
}

/** "90s", "10m", "24h", "1h30m", "2d", or plain seconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;
  let total = 0;
  let consumed = 0;
  for (const m of trimmed.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n / 1000 : m[2] === 's' ? n : m[2] === 'm' ? n * 60 : m[2] === 'h' ? n * 3600 : n * 86400;
    consumed += m[0].length;
  }
  if (consumed === 0 || consumed !== trimmed.length) throw new UsageError(`invalid duration "${text}": use e.g. 90s, 10m, 24h`);
  return total;
}

/** "HOST:PORT", ":PORT", "[::1]:PORT" or "PORT". */
export function parseHostPort(text: string, defaultHost: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))?:?(\d+)$/.exec(text.trim());
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`invalid address "${text}": use HOST:PORT`);
  return { host: m[1] ?? (m[2] || defaultHost), port };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Objects named on the command line as `KIND NAME...` or `KIND/NAME...` (kubectl's two forms),
 * restricted to `allowed` kinds; `what` names the command in the refusal.
 */
export function targetObjects(args: string[], allowed: readonly string[], what: string): Array<[KindInfo, string]> {
  if (args.length === 0) throw new UsageError(`${what}: name the object, e.g. deployment/NAME`);
  const slashed = args.map(splitKindName);
  let targets: Array<[KindInfo, string]>;
  if (slashed.every((s) => s !== undefined)) targets = slashed as Array<[KindInfo, string]>;
  else if (slashed.some((s) => s !== undefined)) throw new UsageError(`${what}: use either KIND NAME... or KIND/NAME..., not both`);
  else {
    const [info] = resolveKinds(args[0]!);
    if (args.length < 2) throw new UsageError(`${what}: name the ${info!.singular}, e.g. ${info!.singular}/NAME`);
    targets = args.slice(1).map((name) => [info!, name]);
  }
  for (const [info] of targets) {
    if (!allowed.includes(info.kind)) {
      throw new UsageError(`${what} is not supported for ${info.plural}: use ${allowed.map((k) => k.toLowerCase()).join(' or ')}`);
    }
  }
  return targets;
}

const CONFLICT_RETRIES = 5;

/**
 * Read-modify-write of one object: GET, `change` it in place, PUT it back with its resourceVersion,
 * again from the GET on a 409 Conflict. `change` returns false for "nothing to do" (nothing is written).
 */
export async function updateObject<T extends KubeObject>(client: ApiClient, path: string, change: (obj: T) => boolean): Promise<{ obj: T; changed: boolean }> {
  for (let attempt = 0; ; attempt++) {
    const obj = await client.request<T>('GET', path);
    if (!change(obj)) return { obj, changed: false };
    try {
      return { obj: await client.request<T>('PUT', path, { body: obj }), changed: true };
    } catch (err) {
      if (err instanceof ServerError && err.httpStatus === 409 && attempt < CONFLICT_RETRIES) continue;
      throw err;
    }
  }
}
