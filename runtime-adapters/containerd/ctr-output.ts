/** Parsers for the text ctr (containerd 1.6) prints. Pure functions, tested directly. */

export type TaskStatus = 'RUNNING' | 'STOPPED' | 'CREATED' | 'PAUSED' | 'PAUSING' | 'UNKNOWN';

/** `ctr tasks ls`: "TASK PID STATUS" table. */
export function parseTaskList(text: string): Map<string, { pid: number; status: TaskStatus }> {
  const tasks = new Map<string, { pid: number; status: TaskStatus }>();
  for (const line of text.split('\n').slice(1)) {
    const [id, pid, status] = line.trim().split(/\s+/);
    if (!id || !pid || !status) continue;
    tasks.set(id, { pid: Number(pid), status: status as TaskStatus });
  }
  return tasks;
}

/** `ctr version`: the Server section's Version. */
export function parseServerVersion(text: string): string | undefined {
  const server = text.split(/^Server:\s*$/m)[1];
  return server ? /Version:\s*(\S+)/.exec(server)?.[1] : undefined;
}

/**
 * `ctr tasks delete` exits 0 and, for a task that exited non-zero, logs
 * `task ID exit with non-zero exit code N` on stderr. No such line means exit code 0.
 */
export function parseDeleteExitCode(stderr: string): number {
  const m = /exit with non-zero exit code (\d+)/.exec(stderr);
  return m ? Number(m[1]) : 0;
}

/** ctr's own error line ("ctr: ..."), without the prefix; the last one wins. */
export function ctrError(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('ctr: '));
  return lines.length > 0 ? lines[lines.length - 1]!.slice(5) : stderr.trim();
}

export function isUnreachable(stderr: string): boolean {
  return /failed to dial|connection refused|connect: no such file or directory|transport is closing|context deadline exceeded/i.test(
    stderr,
  );
}

export function isNotFound(stderr: string): boolean {
  return /not found/i.test(ctrError(stderr));
}

/** Escape a value for a containerd filter string (`labels."k"=="v"`). */
export function filterQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface CtrEvent {
  namespace: string;
  topic: string;
  event: Record<string, unknown>;
}

/** One line of `ctr events`: "2026-11-24 06:04:34.26 +0000 UTC drover /tasks/exit {json}". */
export function parseCtrEventLine(line: string): CtrEvent | undefined {
  const m = /^\S+ \S+ \S+ \S+ (\S+) (\/\S+) (\{.*\})\s*$/.exec(line);
  if (!m) return undefined;
  try {
    return { namespace: m[1]!, topic: m[2]!, event: JSON.parse(m[3]!) as Record<string, unknown> };
  } catch {
    return undefined; // not an event line (ctr prints nothing else, but a torn line must not stop the stream)
  }
}

/**
 * A container's own task started or exited, or the container went: what changes what the agent sees.
 * Exec'd processes (probes, `drover exec`) have their own topics, and an exit whose id is not the
 * container's own, so they do not count.
 */
export function isContainerLifecycleEvent(e: CtrEvent): boolean {
  switch (e.topic) {
    case '/tasks/start':
    case '/tasks/oom':
    case '/containers/delete':
      return true;
    case '/tasks/exit':
      return e.event.id === undefined || e.event.id === e.event.container_id;
    default:
      return false;
  }
}
