/**
 * What decides, at each start of the agent, whether the version on trial may run: shared by the supervisor
 * (supervisor.ts, which keeps running the code it started with) and, without one, the agent's own start.
 */
import { preciseTimestamp } from '../../protocol/time.js';
import { pointLink, prefixLayout } from './prefix.js';
import { clearTrial, MAX_TRIAL_BOOTS, readTrial, writeRollback, writeTrial, type Trial } from './trial-marker.js';

/** Switch P/current back to the trial's previous version, say why in P/last-rollback.json, drop the trial. */
export async function rollBack(prefix: string, trial: Trial, reason: string, clock: () => number = Date.now): Promise<void> {
  await pointLink(prefixLayout(prefix).current, trial.previousVersion);
  await writeRollback(prefix, { version: trial.version, restoredVersion: trial.previousVersion, reason, at: preciseTimestamp(clock()) });
  await clearTrial(prefix);
}

export type TrialBoot = { state: 'none' } | { state: 'trial'; trial: Trial } | { state: 'rolledBack'; trial: Trial; reason: string };

/**
 * Before a start of P/current: with a trial under way, count the start, or roll back when the deadline has
 * passed or the new version has been started MAX_TRIAL_BOOTS times already without confirming.
 */
export async function beginBoot(prefix: string, clock: () => number = Date.now): Promise<TrialBoot> {
  const trial = await readTrial(prefix);
  if (!trial) return { state: 'none' };
  let reason: string | undefined;
  if (clock() > trial.deadline) reason = `agent ${trial.version} was not up within ${trial.readyDeadlineSeconds} s`;
  else if (trial.boots >= MAX_TRIAL_BOOTS) reason = `agent ${trial.version} was started ${trial.boots} times without coming up`;
  if (reason) {
    await rollBack(prefix, trial, reason, clock);
    return { state: 'rolledBack', trial, reason };
  }
  const counted = { ...trial, boots: trial.boots + 1 };
  await writeTrial(prefix, counted);
  return { state: 'trial', trial: counted };
}
