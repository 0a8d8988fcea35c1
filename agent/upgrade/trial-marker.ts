/**
 * The marker of a version on trial, P/upgrade-trial.json, written by the installer just before P/current is
 * switched: the new version, the one to go back to, and until when the new agent has to say it is up
 * (connected to the hub). The new agent confirms by removing it; the supervisor (supervisor.ts, the previous
 * code still running) switches P/current back to P/previous when the deadline passes, when the new agent
 * exits before confirming, or, on a start with the marker still there (a reboot, systemd), once the trial
 * has been started `MAX_TRIAL_BOOTS` times. A rollback leaves P/last-rollback.json saying why.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileDurable } from '../../protocol/durable-file.js';

export const TRIAL_FILE = 'upgrade-trial.json';
export const ROLLBACK_FILE = 'last-rollback.json';
/** Starts of a version on trial after which it is rolled back without waiting for its deadline. */
export const MAX_TRIAL_BOOTS = 2;

const trialSchema = z.strictObject({
  version: z.string(),
  previousVersion: z.string(),
  /** Epoch ms by which the new agent must confirm. */
  deadline: z.number(),
  readyDeadlineSeconds: z.number(),
  /** Starts of the new version so far (the supervisor counts them). */
  boots: z.number().int().min(0),
});
export type Trial = z.infer<typeof trialSchema>;

const rollbackSchema = z.strictObject({ version: z.string(), restoredVersion: z.string(), reason: z.string(), at: z.string() });
export type Rollback = z.infer<typeof rollbackSchema>;

async function readJson<T>(path: string, schema: z.ZodType<T>): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = schema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${path} is not valid: ${parsed.error.issues[0]?.message ?? 'unknown'}`);
  return parsed.data;
}

export const readTrial = (prefix: string): Promise<Trial | undefined> => readJson(join(prefix, TRIAL_FILE), trialSchema);
export const writeTrial = (prefix: string, trial: Trial): Promise<void> => writeFileDurable(join(prefix, TRIAL_FILE), `${JSON.stringify(trial)}\n`);
export const clearTrial = (prefix: string): Promise<void> => rm(join(prefix, TRIAL_FILE), { force: true });
export const readRollback = (prefix: string): Promise<Rollback | undefined> => readJson(join(prefix, ROLLBACK_FILE), rollbackSchema);
export const writeRollback = (prefix: string, rollback: Rollback): Promise<void> =>
  writeFileDurable(join(prefix, ROLLBACK_FILE), `${JSON.stringify(rollback)}\n`);
