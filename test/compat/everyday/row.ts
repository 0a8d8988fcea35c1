/**
 * One row of the everyday kubectl suite: a kubectl command line (with its stdin), and a check of what
 * it did, run in order against one shared scenario (scenario.ts). A check asserts what the command
 * printed or the state it left (read back through kubectl), never the exit code alone.
 */
import type { KubectlResult, Scenario } from './scenario.js';

export interface Row {
  /** What the suite prints for the row: the kubectl command a user types. */
  name: string;
  /** kubectl's arguments; a function when they depend on what earlier rows made (a pod's name). */
  args: readonly string[] | ((s: Scenario) => readonly string[] | Promise<readonly string[]>);
  stdin?: string;
  /** Environment for kubectl (KUBE_EDITOR for `edit`). */
  env?: Record<string, string>;
  /** Run kubectl with a terminal: under util-linux `script`, as a user's shell would give it (`exec -it`). */
  tty?: boolean;
  /** Waits or set-up before the command runs (a pod Running, a log long enough). */
  before?: (s: Scenario) => Promise<void>;
  /**
   * For a command that runs until stopped (`get -w`): once `ready(output)`, `change` runs; the command
   * is stopped once `until(output)` holds (or after 30 s), and `check` gets what it printed.
   */
  watch?: { ready: (out: string) => boolean; change: (s: Scenario) => Promise<unknown>; until: (out: string) => boolean };
  check(result: KubectlResult, s: Scenario): void | Promise<void>;
}
