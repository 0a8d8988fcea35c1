/**
 * The CLI's config file (`$DROVER_CONFIG`, default `~/.drover/config.json`, 0600): which hub the
 * `drover` CLI talks to and with what credential. The hub writes it for the local admin; the CLI reads
 * it. One schema for both sides.
 */
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
