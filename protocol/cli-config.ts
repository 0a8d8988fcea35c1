/**
 * The CLI's config file (`$DROVER_CONFIG`, default `~/.drover/config.json`, 0600): which hub the
 * `drover` CLI talks to and with what credential. The hub writes it for the local admin; the CLI reads
 * it. One schema for both sides.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

export const cliConfigSchema = z
  .object({
    /** The hub's API URL, e.g. http://127.0.0.1:7070 or https://hub.local:7070. */
    server: z.string().min(1).optional(),
    /** A bearer token (`drover-api.<id>.<secret>`). */
    token: z.string().min(1).optional(),
    /** The hub CA that https:// servers are verified against: a PEM file's path (relative to the config file) or the PEM itself. */
    certificateAuthority: z.string().min(1).optional(),
  })
  .passthrough();
export type CliConfig = z.infer<typeof cliConfigSchema>;

/** The file's text for `config`: pretty JSON with a trailing newline. */
export function formatCliConfig(config: CliConfig): string {
  return `${JSON.stringify(cliConfigSchema.parse(config), null, 2)}\n`;
}

/** Parse the file's text; throws an Error that says which field is wrong. */
export function parseCliConfig(text: string): CliConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const result = cliConfigSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new Error(`${issue.path.join('.') || '(top level)'}: ${issue.message}`, { cause: result.error });
  }
  return result.data;
}

/**
 * May a hub whose CA is `caCertPath` (write) the CLI config at `configFile`, whose current text is
 * `existing` (undefined: no file)? Yes when there is none, when it is this hub's own (its
 * `certificateAuthority` is this hub's CA file: the same data dir, restarted, perhaps on another port
 * or scheme), or when the CA it names is gone (a hub whose data dir was deleted). No for another
 * hub's config, one that names its CA otherwise, or one that cannot be read: a second hub (another
 * data dir, a test) never takes the user's config from the first.
 */
export function mayReplaceCliConfig(existing: string | undefined, configFile: string, caCertPath: string, fileExists: (path: string) => boolean): boolean {
  if (existing === undefined) return true;
  let config: CliConfig;
  try {
    config = parseCliConfig(existing);
  } catch {
    return false; // not ours to fix: the user's file stays as it is
  }
  const ca = config.certificateAuthority;
  if (ca === undefined || ca.includes('-----BEGIN')) return false;
  const caFile = resolve(dirname(configFile), ca);
  return caFile === resolve(caCertPath) || !fileExists(caFile);
}
