/**
 * The Docker adapter's environment values (which may come from Secrets) kept off `docker create`'s command
 * line, where any local user could read them in /proc/PID/cmdline. They go through an --env-file: 0600, in a
 * fresh 0700 directory, removed once the create is done.
 *
 * Docker reads that file a line at a time ("K=V"; it also skips blank lines and lines starting with "#", and
 * trims leading white space), so a value holding a newline or a carriage return, or a name starting with "#"
 * or holding white space, cannot go in it: those (`inline`) are named on the command line as `--env NAME`
 * alone, and docker takes their values from its own environment, which only root (the CLI's user) can read.
 * No value is ever on a command line. (The containerd adapter needs no file: ctr gets no environment at all and
 * the values go into the container's spec over containerd's socket, containerd/containers-api.ts.)
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
