import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { pointLink } from '../../../agent/upgrade/prefix.js';
import { createSupervisor } from '../../../agent/upgrade/supervisor.js';
import { readRollback, writeTrial } from '../../../agent/upgrade/trial-marker.js';

const dirs: string[] = [];
afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** A prefix whose versions are tiny scripts standing in for the agent: each writes started-<v> and then does `body`. */
async function prefixWith(versions: Record<string, string>): Promise<string> {
  const prefix = await mkdtemp(join(tmpdir(), 'agent-supervisor-'));
  dirs.push(prefix);
  for (const [v, body] of Object.entries(versions)) {
    await mkdir(join(prefix, 'versions', v, 'agent'), { recursive: true });
    await writeFile(join(prefix, 'versions', v, 'agent', 'main.js'), `require('fs').writeFileSync(${JSON.stringify(join(prefix, `started-${v}`))}, process.argv.slice(2).join(' '));\n${body}\n`);
    await writeFile(join(prefix, 'versions', v, 'package.json'), '{"type":"commonjs"}');
  }
  return prefix;
}

const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};
const exists = (path: string) => readFile(path).then(() => true, () => false);
const KEEP_RUNNING = 'setInterval(() => {}, 1000); process.on("SIGTERM", () => process.exit(0));';

describe('the agent supervisor', () => {
  it('rolls back to previous when the version on trial exits before confirming, and starts the previous one', async () => {
    const prefix = await prefixWith({ '0.1.0': KEEP_RUNNING, '0.2.0': 'process.exit(3);' });
    await pointLink(join(prefix, 'previous'), '0.1.0');
    await pointLink(join(prefix, 'current'), '0.2.0');
    await writeTrial(prefix, { version: '0.2.0', previousVersion: '0.1.0', deadline: Date.now() + 60_000, readyDeadlineSeconds: 60, boots: 0 });
    const supervisor = createSupervisor({ prefix, agentArgs: ['--name', 'n1'], nodeArgs: [], logger: silentLogger(), pollMs: 50, stopGraceMs: 2000 });
    const running = supervisor.run();
    await until('the previous version started', () => exists(join(prefix, 'started-0.1.0')));
    expect(await exists(join(prefix, 'started-0.2.0'))).toBe(true);
    expect(await readFile(join(prefix, 'started-0.1.0'), 'utf8')).toBe('--name n1');
    expect(await readlink(join(prefix, 'current'))).toBe(join('versions', '0.1.0'));
    expect(await readRollback(prefix)).toMatchObject({ version: '0.2.0', restoredVersion: '0.1.0', reason: 'agent 0.2.0 exited with code 3 before it was up' });
    supervisor.stop();
    expect(await running).toBe(0);
  });

  it('starts the new version after the running agent installed it and exited 75, and keeps it once it confirms', async () => {
    const prefix = await mkdtemp(join(tmpdir(), 'agent-supervisor-'));
    dirs.push(prefix);
    const trial = JSON.stringify({ version: '0.2.0', previousVersion: '0.1.0', deadline: Date.now() + 60_000, readyDeadlineSeconds: 60, boots: 0 });
    // 0.1.0 "installs" 0.2.0 as installer.ts does (marker, then the links) and exits 75; 0.2.0 confirms (removes the marker)
    const install = `const fs = require('fs'), p = require('path'); const P = ${JSON.stringify(prefix)};
fs.writeFileSync(p.join(P, 'upgrade-trial.json'), ${JSON.stringify(trial)});
fs.symlinkSync('versions/0.1.0', p.join(P, 'previous.tmp')); fs.renameSync(p.join(P, 'previous.tmp'), p.join(P, 'previous'));
fs.symlinkSync('versions/0.2.0', p.join(P, 'current.tmp')); fs.renameSync(p.join(P, 'current.tmp'), p.join(P, 'current'));
process.exit(75);`;
    const confirm = `require('fs').rmSync(require('path').join(${JSON.stringify(prefix)}, 'upgrade-trial.json')); ${KEEP_RUNNING}`;
    for (const [v, body] of Object.entries({ '0.1.0': install, '0.2.0': confirm })) {
      await mkdir(join(prefix, 'versions', v, 'agent'), { recursive: true });
      await writeFile(join(prefix, 'versions', v, 'agent', 'main.js'), `require('fs').writeFileSync(${JSON.stringify(join(prefix, `started-${v}`))}, '');\n${body}\n`);
      await writeFile(join(prefix, 'versions', v, 'package.json'), '{"type":"commonjs"}');
    }
    await pointLink(join(prefix, 'current'), '0.1.0');
    const supervisor = createSupervisor({ prefix, agentArgs: [], nodeArgs: [], logger: silentLogger(), pollMs: 50, stopGraceMs: 2000 });
    const running = supervisor.run();
    await until('the new version started and confirmed', async () => (await exists(join(prefix, 'started-0.2.0'))) && !(await exists(join(prefix, 'upgrade-trial.json'))));
    await new Promise((r) => setTimeout(r, 300));
    expect(await readlink(join(prefix, 'current'))).toBe(join('versions', '0.2.0'));
    expect(await readRollback(prefix)).toBeUndefined();
    supervisor.stop();
    await running;
  });

  it('stops a version on trial that is not up by its deadline and rolls back', async () => {
    const prefix = await prefixWith({ '0.1.0': KEEP_RUNNING, '0.2.0': KEEP_RUNNING });
    await pointLink(join(prefix, 'previous'), '0.1.0');
    await pointLink(join(prefix, 'current'), '0.2.0');
    await writeTrial(prefix, { version: '0.2.0', previousVersion: '0.1.0', deadline: Date.now() + 1500, readyDeadlineSeconds: 1, boots: 0 });
    const supervisor = createSupervisor({ prefix, agentArgs: [], nodeArgs: [], logger: silentLogger(), pollMs: 50, stopGraceMs: 2000 });
    const running = supervisor.run();
    await until('the previous version started', () => exists(join(prefix, 'started-0.1.0')));
    expect(await readlink(join(prefix, 'current'))).toBe(join('versions', '0.1.0'));
    expect((await readRollback(prefix))?.reason).toBe('agent 0.2.0 was not up within 1 s');
    supervisor.stop();
    await running;
  });

  it('keeps a version that confirmed, and restarts it at once after exit 75', async () => {
    const counter = 'const f = require("path").join(process.cwd(), "n"); const n = Number(require("fs").existsSync(f) ? require("fs").readFileSync(f, "utf8") : 0) + 1; require("fs").writeFileSync(f, String(n)); if (n === 1) process.exit(75);';
    const prefix = await prefixWith({ '0.2.0': `${counter}\n${KEEP_RUNNING}` });
    await pointLink(join(prefix, 'current'), '0.2.0');
    const cwd = process.cwd();
    process.chdir(prefix);
    try {
      const supervisor = createSupervisor({ prefix, agentArgs: [], nodeArgs: [], logger: silentLogger(), pollMs: 50, stopGraceMs: 2000 });
      const running = supervisor.run();
      await until('the second start', async () => (await readFile(join(prefix, 'n'), 'utf8').catch(() => '')) === '2');
      expect(await readlink(join(prefix, 'current'))).toBe(join('versions', '0.2.0'));
      supervisor.stop();
      await running;
    } finally {
      process.chdir(cwd);
    }
  });
});
