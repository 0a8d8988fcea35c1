/**
 * Which hub the CLI talks to and with what token: --server/--token, else DROVER_SERVER/DROVER_TOKEN,
 * else the config file ($DROVER_CONFIG or ~/.drover/config.json, `{ "server", "token",
 * "certificateAuthority" }`, written by the hub for the local admin), else http://127.0.0.1:7070
 * without a token. `certificateAuthority` (a PEM file's path, relative to the config file, or the PEM
 * itself; or $DROVER_CA_FILE) is the hub CA that https:// servers are verified against.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseCliConfig, type CliConfig } from '../../protocol/cli-config.js';
import { ConfigError } from './errors.js';
import type { CliIO } from './io.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:7070';

export interface Connection {
  server: string;
  token: string | undefined;
  /** The hub CA (PEM) to verify https:// servers against; undefined = the system's CAs. */
  certificateAuthority?: string | undefined;
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

export function resolveConnection(flags: { server?: string; token?: string }, io: CliIO): Connection {
  const path = configPath(io);
  const needFile = !(flags.server ?? io.env.DROVER_SERVER) || !(flags.token ?? io.env.DROVER_TOKEN) || !io.env.DROVER_CA_FILE;
  const file = needFile ? readConfig(path) : undefined;
  let source = 'the default';
  let server = DEFAULT_SERVER;
  if (flags.server) [server, source] = [flags.server, '--server'];
  else if (io.env.DROVER_SERVER) [server, source] = [io.env.DROVER_SERVER, 'DROVER_SERVER'];
  else if (file?.server) [server, source] = [file.server, path];
  const token = flags.token || io.env.DROVER_TOKEN || file?.token;
  // Only an https server needs the CA: a stale path in the config must not break a plain loopback hub.
  let certificateAuthority: string | undefined;
  if (/^https:/i.test(server)) {
    if (io.env.DROVER_CA_FILE) certificateAuthority = loadCertificateAuthority(io.env.DROVER_CA_FILE, process.cwd(), 'DROVER_CA_FILE');
    else if (file?.certificateAuthority) certificateAuthority = loadCertificateAuthority(file.certificateAuthority, dirname(path), path);
  }
  return { server: server.replace(/\/+$/, ''), token, certificateAuthority, source, configPath: path };
}
