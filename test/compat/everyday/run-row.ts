/** Runs one row against the scenario: its set-up, the kubectl command (or watch), its check; never throws. */
import type { Row } from './row.js';
import type { KubectlResult, Scenario } from './scenario.js';

export interface RowOutcome {
  name: string;
  passed: boolean;
  /** Why it failed: the check's error and what kubectl printed. */
  message: string;
}

const clip = (text: string, max = 1500): string => (text.length > max ? `${text.slice(0, max)}... (${text.length - max} more characters)` : text);

export async function runRow(row: Row, s: Scenario): Promise<RowOutcome> {
  let result: KubectlResult | undefined;
  try {
    await row.before?.(s);
    const args = typeof row.args === 'function' ? await row.args(s) : row.args;
    result = row.watch
      ? await s.watch(args, { ready: row.watch.ready, change: () => row.watch!.change(s), until: row.watch.until })
      : row.tty
        ? await s.kubectlTty(args)
        : await s.kubectl(args, { ...(row.stdin !== undefined ? { stdin: row.stdin } : {}), ...(row.env ? { env: row.env } : {}) });
    await row.check(result, s);
    return { name: row.name, passed: true, message: '' };
  } catch (err) {
    const printed = result ? `\nexit ${result.code}; kubectl printed:\n${clip(result.out)}` : '';
    return { name: row.name, passed: false, message: `${(err as Error).message}${printed}` };
  }
}
