/**
 * Environment values (which may come from Secrets) kept off the runtime CLI's command line, where any
 * local user could read them in /proc/PID/cmdline while `docker create` / `ctr containers create` runs.
 * They go through an --env-file instead: 0600, in a fresh 0700 directory, removed once the create is done.
 *
 * Both CLIs read that file a line at a time ("K=V"; Docker also skips blank lines and lines starting with
 * "#", and trims leading white space), so a value holding a newline, or a name starting with "#" or white
 * space, cannot go in it (Docker refuses names holding white space there): only those stay on the command line.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface EnvSplit {
  /** Lines for the env file. */
  fileLines: string[];
  /** What the file cannot carry. */
  inline: Record<string, string>;
}

export function splitEnvForFile(env: Record<string, string>): EnvSplit {
  const fileLines: string[] = [];
  const inline: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (/[\r\n]/.test(v) || /\s/.test(k) || k.startsWith('#')) inline[k] = v;
    else fileLines.push(`${k}=${v}`);
  }
  return { fileLines, inline };
}

/** Run `fn` with the env file (undefined when there is nothing to put in one) and the inline rest. */
export async function withEnvFile<T>(env: Record<string, string>, fn: (envFile: string | undefined, inline: Record<string, string>) => Promise<T>): Promise<T> {
  const { fileLines, inline } = splitEnvForFile(env);
  if (fileLines.length === 0) return fn(undefined, inline);
  const dir = await mkdtemp(join(tmpdir(), 'drover-env-'));
  try {
    const path = join(dir, 'env');
    await writeFile(path, `${fileLines.join('\n')}\n`, { mode: 0o600 });
    return await fn(path, inline);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
