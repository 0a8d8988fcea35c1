/**
 * Install an agent bundle side by side and switch to it (the device half of `drover fleet upgrade`):
 *   1. refuse a version older than MIN_SUPPORTED_AGENT_VERSION, or the one already current
 *   2. download /bundles/<file> from the hub, resuming (bundle-download.ts), into P/downloads/
 *   3. verify size, SHA-256 and the hub CA's signature (bundle-verify.ts)
 *   4. unpack into P/versions/.<v>.unpack-<pid>/, check its VERSION, rename to P/versions/<v>
 *   5. write the trial marker (trial-marker.ts), point P/previous at the running version, P/current at <v>
 * A failure at any step removes what the step made: nothing half-installed is left and P/current is untouched.
 * The caller then restarts the agent (the supervisor starts P/current; under systemd, Restart=always).
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isSupportedAgentVersion, MIN_SUPPORTED_AGENT_VERSION } from '../../protocol/agent-version.js';
import type { Logger } from '../../protocol/logger.js';
import type { BundleIndexEntry as AgentBundleRef } from '../../protocol/agent-bundle.js';
import type { ProcessRunner } from '../../runtime-adapters/process-runner.js';
import { BundleInvalidError, UpgradeInstallError, UpgradeRefusedError } from '../errors.js';
import { downloadBundle, type BundleDownloadOptions } from './bundle-download.js';
import { verifyBundle } from './bundle-verify.js';
import { bundleVersionOf, linkedVersion, pointLink, prefixLayout } from './prefix.js';
import { clearTrial, writeTrial } from './trial-marker.js';

export const DOWNLOADS_DIR = 'downloads';

export interface InstallBundleOptions {
  prefix: string;
  bundle: AgentBundleRef;
  readyDeadlineSeconds: number;
  /** The hub's HTTPS "host:port" and its CA (PEM): where the bundle comes from and who must have signed it. */
  hubHost: string;
  caPem: string;
  run: ProcessRunner;
  logger: Logger;
  clock?: () => number;
  /** Replaces the HTTPS download (unit tests): resolves with the downloaded file's path. */
  download?: (opts: BundleDownloadOptions) => Promise<string>;
}

export interface InstalledBundle {
  version: string;
  previousVersion: string;
  deadline: number;
}

export async function installBundle(opts: InstallBundleOptions): Promise<InstalledBundle> {
  const log = opts.logger.child({ component: 'agent-installer' });
  const clock = opts.clock ?? Date.now;
  const { bundle } = opts;
  const layout = prefixLayout(opts.prefix);
  if (!isSupportedAgentVersion(bundle.version)) {
    throw new UpgradeRefusedError(`agent ${bundle.version} is older than ${MIN_SUPPORTED_AGENT_VERSION}, the oldest this hub supports`);
  }
  const running = await linkedVersion(layout.current);
  if (!running) throw new UpgradeRefusedError(`${layout.current} is not a link to an installed version: install the agent with install-agent.sh first`);
  if (running === bundle.version) throw new UpgradeRefusedError(`agent ${bundle.version} is already the current version`);

  log.info({ version: bundle.version, file: bundle.file, bytes: bundle.size }, 'downloading the agent bundle');
  const downloads = join(opts.prefix, DOWNLOADS_DIR);
  const file = await (opts.download ?? downloadBundle)({ host: opts.hubHost, caPem: opts.caPem, file: bundle.file, size: bundle.size, dir: downloads, logger: opts.logger });
  try {
    await verifyBundle(file, bundle, opts.caPem);
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }

  const unpack = join(layout.versionsDir, `.${bundle.version}.unpack-${process.pid}`);
  const target = layout.versionDir(bundle.version);
  try {
    await rm(unpack, { recursive: true, force: true });
    await mkdir(unpack, { recursive: true });
    const tar = await opts.run('tar', ['-xzf', file, '-C', unpack, '--no-same-owner']);
    if (tar.exitCode !== 0) throw new UpgradeInstallError(bundle.version, `tar failed: ${(tar.stderr || tar.spawnError?.message || '').trim()}`);
    const unpacked = join(unpack, 'drover-agent');
    const version = await bundleVersionOf(unpacked);
    if (version !== bundle.version) throw new BundleInvalidError(bundle.file, `it holds agent ${version ?? '(no VERSION file)'}, not ${bundle.version}`);
    await rm(target, { recursive: true, force: true });
    await rename(unpacked, target);
  } catch (err) {
    await rm(unpack, { recursive: true, force: true });
    if (err instanceof BundleInvalidError || err instanceof UpgradeInstallError) throw err;
    throw new UpgradeInstallError(bundle.version, (err as Error).message, { cause: err });
  } finally {
    await rm(unpack, { recursive: true, force: true });
    await rm(file, { force: true });
  }

  const deadline = clock() + opts.readyDeadlineSeconds * 1000;
  try {
    await writeTrial(opts.prefix, { version: bundle.version, previousVersion: running, deadline, readyDeadlineSeconds: opts.readyDeadlineSeconds, boots: 0 });
    await pointLink(layout.previous, running);
    await pointLink(layout.current, bundle.version);
  } catch (err) {
    // put back what the switch changed: current on the running version, no trial
    await pointLink(layout.current, running).catch((e: unknown) => log.error({ err: e }, 'could not point current back at the running version'));
    await clearTrial(opts.prefix);
    throw new UpgradeInstallError(bundle.version, `switching ${layout.current}: ${(err as Error).message}`, { cause: err });
  }
  log.info({ version: bundle.version, previousVersion: running, readyDeadlineSeconds: opts.readyDeadlineSeconds }, 'agent bundle installed; restarting into it');
  return { version: bundle.version, previousVersion: running, deadline };
}
