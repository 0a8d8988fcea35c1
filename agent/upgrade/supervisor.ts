/**
 * The supervisor: a small parent process that starts the agent from P/current and is the watchdog of an
 * upgrade, running the code it was started with (not the new version's). It
 *   - restarts the agent at once when it exits with RESTART_EXIT_CODE (it switched P/current to a new version),
 *     after a back-off (1 s doubling to 30 s) on any other exit, as systemd's Restart=always would;
 *   - while a version is on trial (P/upgrade-trial.json): rolls back to P/previous and restarts when the new
 *     agent exits before confirming, or when the deadline passes (the new agent is stopped first);
 *   - passes SIGTERM/SIGINT on to the agent and exits when it has stopped. Pods keep running throughout:
 *     containers outlive the agent, and the agent adopts them on start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from '../../protocol/logger.js';
import { prefixLayout, PREFIX_ENV } from './prefix.js';
import { beginBoot, rollBack } from './rollback.js';
import { readTrial } from './trial-marker.js';

/** The agent's exit code for "start me again": it installed a new version (EX_TEMPFAIL). */
export const RESTART_EXIT_CODE = 75;
/** Set in the agent's environment when a supervisor runs it (it then leaves the trial deadline to the supervisor). */
export const SUPERVISED_ENV = 'DROVER_AGENT_SUPERVISED';

export interface SupervisorOptions {
  prefix: string;
  /** The agent's own arguments. */
  agentArgs: string[];
  /** Node's flags for the agent (default: the supervisor's own). */
  nodeArgs?: string[];
  logger: Logger;
  clock?: () => number;
  /** How often the trial marker is looked at while a version is on trial (default 500 ms). */
  pollMs?: number;
  /** How long a stopped agent has before SIGKILL (default 10 s). */
  stopGraceMs?: number;
}

export interface Supervisor {
  /** Runs until stop(); resolves with the last exit code of the agent. */
  run(): Promise<number>;
  stop(signal?: NodeJS.Signals): void;
}

export function createSupervisor(opts: SupervisorOptions): Supervisor {
  const log = opts.logger.child({ component: 'agent-supervisor' });
  const clock = opts.clock ?? Date.now;
  const pollMs = opts.pollMs ?? 500;
  const graceMs = opts.stopGraceMs ?? 10_000;
  const layout = prefixLayout(opts.prefix);
  let stopping = false;
  let child: ChildProcess | undefined;
  let wake: (() => void) | undefined;

  function kill(c: ChildProcess, signal: NodeJS.Signals): void {
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
    c.once('exit', () => clearTimeout(t));
  }

  async function runOnce(): Promise<number> {
    const boot = await beginBoot(opts.prefix, clock);
    if (boot.state === 'rolledBack') log.error({ version: boot.trial.version, restored: boot.trial.previousVersion, reason: boot.reason }, 'rolled back the agent upgrade');
    else if (boot.state === 'trial') log.info({ version: boot.trial.version, boots: boot.trial.boots }, 'starting the agent version on trial');
    const main = join(layout.current, 'agent', 'main.js');
    const c = spawn(process.execPath, [...(opts.nodeArgs ?? process.execArgv), main, ...opts.agentArgs], {
      stdio: 'inherit',
      env: { ...process.env, [PREFIX_ENV]: opts.prefix, [SUPERVISED_ENV]: '1' },
    });
    child = c;
    const exited = new Promise<number>((resolve) => {
      c.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
      c.once('error', (err) => {
        log.error({ err }, 'could not start the agent');
        resolve(1);
      });
    });
    let watching = boot.state === 'trial';
    let timedOut = false;
    const poll = setInterval(() => {
      if (!watching) return;
      void readTrial(opts.prefix).then(
        (trial) => {
          if (!trial) {
            watching = false;
            log.info('the new agent confirmed it is up: upgrade done');
          } else if (clock() > trial.deadline && !timedOut) {
            timedOut = true;
            log.error({ version: trial.version, readyDeadlineSeconds: trial.readyDeadlineSeconds }, 'the new agent is not up in time: stopping it to roll back');
            kill(c, 'SIGTERM');
          }
        },
        (err: unknown) => log.error({ err }, 'cannot read the upgrade trial marker'),
      );
    }, pollMs);
    const code = await exited;
    clearInterval(poll);
    child = undefined;
    // only the child started as the trial can fail it: the previous agent exits 75 right after writing the marker
    const trial = boot.state === 'trial' ? await readTrial(opts.prefix) : undefined;
    if (trial && trial.version === (boot.state === 'trial' ? boot.trial.version : undefined) && !stopping) {
      const reason = timedOut ? `agent ${trial.version} was not up within ${trial.readyDeadlineSeconds} s` : `agent ${trial.version} exited with code ${code} before it was up`;
      await rollBack(opts.prefix, trial, reason, clock);
      log.error({ version: trial.version, restored: trial.previousVersion, reason }, 'rolled back the agent upgrade');
      return RESTART_EXIT_CODE;
    }
    return code;
  }

  return {
    async run() {
      let backoffMs = 1000;
      let code = 0;
      while (!stopping) {
        const started = clock();
        code = await runOnce();
        if (stopping) break;
        if (code === RESTART_EXIT_CODE) {
          log.info('restarting the agent from P/current');
          backoffMs = 1000;
          continue;
        }
        if (clock() - started > 60_000) backoffMs = 1000;
        log.warn({ code, restartInMs: backoffMs }, 'the agent exited: restarting it');
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, backoffMs);
        });
        backoffMs = Math.min(backoffMs * 2, 30_000);
      }
      return code;
    },
    stop(signal = 'SIGTERM') {
      stopping = true;
      wake?.();
      if (child) kill(child, signal);
    },
  };
}
