/**
 * The install prefix P on the device (install/install-agent.sh): each bundle unpacked under P/versions/<v>/,
 * P/current the active one, P/previous the one before, both symlinks to a version directory. Switching is
 * atomic: a new symlink beside the old, renamed over it. P/upgrade-trial.json is the marker of a version on
 * trial (trial-marker.ts).
 */
import { realpathSync } from 'node:fs';
import { readFile, readlink, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const VERSIONS_DIR = 'versions';
export const CURRENT_LINK = 'current';
export const PREVIOUS_LINK = 'previous';
/** The environment variable the supervisor (or a test) sets to the prefix; else it is found from main.js. */
export const PREFIX_ENV = 'DROVER_AGENT_PREFIX';

export interface PrefixLayout {
  prefix: string;
  versionsDir: string;
  current: string;
  previous: string;
  versionDir(version: string): string;
}

export function prefixLayout(prefix: string): PrefixLayout {
  return {
    prefix,
    versionsDir: join(prefix, VERSIONS_DIR),
    current: join(prefix, CURRENT_LINK),
    previous: join(prefix, PREVIOUS_LINK),
    versionDir: (version) => join(prefix, VERSIONS_DIR, version),
  };
}

/**
 * The prefix this agent was installed into: $DROVER_AGENT_PREFIX, else found from the path of the running
 * main.js (P/versions/<v>/agent/main.js, through the P/current symlink or not); undefined when the agent does
 * not run from an install prefix (a development checkout's dist/).
 */
export function findPrefix(mainPath: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[PREFIX_ENV]) return env[PREFIX_ENV];
  if (!mainPath) return undefined;
  let real: string;
  try {
    real = realpathSync(mainPath);
  } catch {
    return undefined;
  }
  const versionDir = dirname(dirname(real));
  return basename(dirname(versionDir)) === VERSIONS_DIR ? dirname(dirname(versionDir)) : undefined;
}

/** The version a link points at (the name of its version directory), or undefined when there is no link. */
export async function linkedVersion(link: string): Promise<string | undefined> {
  try {
    return basename(await readlink(link));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Point `link` at versions/<version>, atomically (a new symlink renamed over the old one). */
export async function pointLink(link: string, version: string): Promise<void> {
  const tmp = `${link}.new-${process.pid}`;
  await rm(tmp, { force: true });
  await symlink(join(VERSIONS_DIR, version), tmp);
  await rename(tmp, link);
}

/** The VERSION file of an unpacked bundle, trimmed; undefined without one. */
export async function bundleVersionOf(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, 'VERSION'), 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
