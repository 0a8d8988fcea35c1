/**
 * Which hub the CLI talks to and with what token: --server/--token, else DROVER_SERVER/DROVER_TOKEN,
 * else the config file ($DROVER_CONFIG or ~/.drover/config.json, `{ "server", "token" }`, written by
 * the hub for the local admin), else http://127.0.0.1:7070 without a token.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import type { CliIO } from './io.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:7070';

export interface Connection {
  server: string;
  token: string | undefined;
  /** Where each part came from, for error messages. */
  source: string;
  configPath: string;
}

export function configPath(io: CliIO): string {
  return io.env.DROVER_CONFIG || join(io.homedir, '.drover', 'config.json');
}

function readConfig(path: string): { server?: string; token?: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read the CLI config ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not a JSON object');
    const { server, token } = parsed as { server?: unknown; token?: unknown };
    return { ...(typeof server === 'string' ? { server } : {}), ...(typeof token === 'string' ? { token } : {}) };
  } catch (err) {
    throw new ConfigError(`the CLI config ${path} is not valid JSON ({ "server": URL, "token": T }): ${(err as Error).message}`, { cause: err });
  }
}

export function resolveConnection(flags: { server?: string; token?: string }, io: CliIO): Connection {
  const path = configPath(io);
  const needFile = !(flags.server ?? io.env.DROVER_SERVER) || !(flags.token ?? io.env.DROVER_TOKEN);
  const file = needFile ? readConfig(path) : undefined;
  let source = 'the default';
  let server = DEFAULT_SERVER;
  if (flags.server) [server, source] = [flags.server, '--server'];
  else if (io.env.DROVER_SERVER) [server, source] = [io.env.DROVER_SERVER, 'DROVER_SERVER'];
  else if (file?.server) [server, source] = [file.server, path];
  const token = flags.token || io.env.DROVER_TOKEN || file?.token;
  return { server: server.replace(/\/+$/, ''), token, source, configPath: path };
}
