import { describe, expect, it } from 'vitest';
import {
  ctrError,
  filterQuote,
  isUnreachable,
  parseDeleteExitCode,
  parseServerVersion,
  parseTaskList,
} from '../../../runtime-adapters/containerd/ctr-output.js';

describe('ctr output parsers', () => {
  it('parses tasks ls, version, delete exit codes and errors', () => {
    const tasks = parseTaskList('TASK    PID     STATUS    \nweb     6779    RUNNING\ndone    12      STOPPED\n');
    expect(tasks.get('web')).toEqual({ pid: 6779, status: 'RUNNING' });
    expect(tasks.get('done')?.status).toBe('STOPPED');
    expect(tasks.size).toBe(2);
    expect(parseServerVersion('Client:\n  Version:  1.6.20~ds1\n\nServer:\n  Version:  1.6.21\n  Revision: x\n')).toBe('1.6.21');
    expect(parseServerVersion('Client:\n  Version:  1.6.20\n')).toBeUndefined();
    expect(parseDeleteExitCode('time="..." level=warning msg="task web exit with non-zero exit code 137"')).toBe(137);
    expect(parseDeleteExitCode('')).toBe(0);
    expect(ctrError('time="x" level=error msg="y"\nctr: container "a" in namespace "n": not found\n')).toBe(
      'container "a" in namespace "n": not found',
    );
    expect(isUnreachable('ctr: failed to dial "/x.sock": context deadline exceeded')).toBe(true);
    expect(isUnreachable('ctr: container "a": not found')).toBe(false);
    expect(filterQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
});
