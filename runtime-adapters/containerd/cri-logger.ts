import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Drover's containerd log driver: the program containerd's shim runs for a task started with
 * `--log-uri=binary://<script>?file=<path>` (containerd's "binary" logging: the shim passes the query as arguments,
 * the task's stdout on fd 3, its stderr on fd 4, and waits until fd 5 is closed before starting the task). It writes
 * each line in the CRI log format the kubelet uses, `<RFC 3339 time, ns> <stdout|stderr> F <line>`, with the time the
 * shim handed it over. Because the shim owns it, the times are real even while the agent is stopped or restarting.
 *
 * It is bash (Debian and Raspberry Pi OS always have it; `$EPOCHREALTIME` gives microseconds) rather than a Node
 * process per container: about 3 MiB of private memory each, against 40 MiB. bash reads a pipe a byte at a time, so
 * it keeps up with about 40,000 lines (3 MB) per second on this machine; the container waits on a full pipe beyond
 * that, as it would on a slow kubelet log pipe. The two streams share the file through O_APPEND, one write per line.
 */
export const CRI_LOGGER_SCRIPT = `#!/bin/bash
# Drover's containerd log driver (written by the Drover agent; see runtime-adapters/containerd/cri-logger.ts).
# containerd's shim runs it as: cri-logger.sh file PATH, with the task's stdout on fd 3, stderr on fd 4, ready on fd 5.
set -u
export LC_ALL=C TZ=UTC
if [ "\${1:-}" != file ] || [ -z "\${2:-}" ]; then echo "usage: $0 file PATH (run by containerd's shim)" >&2; exit 2; fi
exec 6>>"$2" || exit 1
copy() {
  local line t ts
  while IFS= read -r line || [ -n "$line" ]; do
    t=$EPOCHREALTIME
    printf -v ts '%(%Y-%m-%dT%H:%M:%S)T' "\${t%.*}"
    printf '%s.%s000Z %s F %s\\n' "$ts" "\${t#*.}" "$1" "$line" >&6
  done
}
# ready: the shim starts the task when fd 5 is closed by every process holding it, so before the copies start
exec 5>&-
copy stdout <&3 4<&- &
copy stderr <&4 3<&- &
exec 3<&- 4<&-
wait
`;

/**
 * Write the log driver under `dir` (once per adapter, and again only when its text changed) and give its path.
 * Replaced by rename, never rewritten in place: bash reads a script as it runs, and running loggers keep the old file.
 */
export async function installCriLogger(dir: string): Promise<string> {
  const path = join(dir, 'cri-logger.sh');
  const current = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (current === CRI_LOGGER_SCRIPT) return path;
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, CRI_LOGGER_SCRIPT, { mode: 0o755 });
  await rename(tmp, path);
  return path;
}

/** The `--log-uri` for a task whose output goes to `file` through the log driver at `script`. */
export function criLogUri(script: string, file: string): string {
  return `binary://${script}?file=${encodeURIComponent(file)}`;
}
