/**
 * The local admin's API token, kept in a file only the hub's user can read (mode 0600), so the CLI on
 * the hub machine works without a login step. The file holds the token and a newline, nothing else.
 */
import { chmod, readFile, stat } from 'node:fs/promises';
import type { Logger } from '../../protocol/logger.js';
import type { ApiTokens } from './api-tokens.js';
import { writeFileDurable } from '../../protocol/durable-file.js';
import { AdminTokenFileError } from './errors.js';

const FILE_MODE = 0o600;

async function readTokenFile(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AdminTokenFileError(path, 'read', { cause: err });
  }
}

/** The permissions of an existing file, tightened to 0600 if others could read it. */
async function tightenMode(path: string, log: Logger): Promise<void> {
  try {
    const mode = (await stat(path)).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      await chmod(path, FILE_MODE);
      log.warn({ path, mode: mode.toString(8) }, 'admin token file was readable by others; set to 0600');
    }
  } catch (err) {
    throw new AdminTokenFileError(path, 'write', { cause: err });
  }
}

/**
 * First start: create an admin ApiToken and write it to `path` (0600, atomic). Later starts: read the
 * file and return its token if it still verifies as a cluster-wide admin token; otherwise (revoked,
 * lost, corrupt) create a fresh one and replace the file.
 */
export async function ensureAdminToken(opts: { path: string; tokens: ApiTokens; logger: Logger }): Promise<string> {
  const { path, tokens } = opts;
  const log = opts.logger;
  const existing = await readTokenFile(path);
  if (existing) {
    const principal = await tokens.verifyApiToken(existing);
    if (principal?.role === 'admin' && principal.namespace === undefined) {
      await tightenMode(path, log);
      return existing;
    }
    log.warn({ path }, 'the admin token in the file is no longer valid (revoked or corrupt); creating a new one');
  } else {
    log.info({ path }, 'no admin token file; creating an admin token');
  }
  const { token, id } = await tokens.createApiToken({ role: 'admin', description: `local admin (${path})` });
  try {
    await writeFileDurable(path, `${token}\n`, { mode: FILE_MODE });
  } catch (err) {
    throw new AdminTokenFileError(path, 'write', { cause: err });
  }
  log.info({ path, id }, 'admin token written');
  return token;
}
