/**
 * Preloaded into the hub by the scale bench with SCALE_CPU_PROFILE=1 (NODE_OPTIONS=--import this file;
 * Node refuses --cpu-prof in NODE_OPTIONS). Each SIGWINCH writes what was profiled since the one before (if
 * any) to `<DROVER_CPU_PROFILE_DIR>/hub-<n>.cpuprofile` and starts profiling again: one signal per phase
 * boundary, and no two signals need to arrive apart (a signal sent twice quickly may be delivered once).
 * Open the files in Chrome DevTools (Performance) or summarize them with test/bench/cpu-profile-summary.ts.
 * Plain JS: the hub runs from dist/.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.DROVER_CPU_PROFILE_DIR ?? process.cwd();
const session = new Session();
session.connect();
let profiling = false;
let written = 0;

function start() {
  session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
}

process.on('SIGWINCH', () => {
  if (!profiling) {
    profiling = true;
    start();
    return;
  }
  session.post('Profiler.stop', (err, result) => {
    if (err) process.stderr.write(`cpu-profile-hook: ${err.message}\n`);
    else writeFileSync(join(dir, `hub-${++written}.cpuprofile`), JSON.stringify(result.profile));
    start();
  });
});
