/**
 * install/build-agent-bundle.sh: the self-contained bundle per architecture (the contract `drover flash`
 * relies on): dist/bundles/drover-agent-<version>-linux-<arch>.tar.gz with its .sha256, top dir drover-agent/
 * holding the agent, VERSION, ARCH, install-agent.sh and the unit; it runs from an empty directory with
 * nothing but Node (no npm install, no node_modules of the repo within reach).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const NAME = `drover-agent-${VERSION}-linux-arm64.tar.gz`;
const ARCHIVE = join(ROOT, 'dist/bundles', NAME);

describe('the self-contained agent bundle', () => {
  let dir = '';
  beforeAll(async () => {
    await execa('bash', [join(ROOT, 'install/build-agent-bundle.sh'), '--arch', 'arm64'], { cwd: ROOT });
    dir = await mkdtemp(join(tmpdir(), 'bundle-test-'));
    await execa('tar', ['-C', dir, '-xzf', ARCHIVE]);
  }, 120_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is named by version and architecture, with a sha256sum file that matches it', async () => {
    const sum = (await readFile(`${ARCHIVE}.sha256`, 'utf8')).trim();
    const actual = createHash('sha256').update(await readFile(ARCHIVE)).digest('hex');
    expect(sum).toBe(`${actual}  ${NAME}`);
  });

  it('holds the agent, VERSION, ARCH, install-agent.sh and the unit under drover-agent/', async () => {
    const top = join(dir, 'drover-agent');
    expect((await readFile(join(top, 'VERSION'), 'utf8')).trim()).toBe(VERSION);
    expect((await readFile(join(top, 'ARCH'), 'utf8')).trim()).toBe('linux/arm64');
    await expect(readFile(join(top, 'install-agent.sh'), 'utf8')).resolves.not.toMatch(/^[^#]*npm /m);
    await expect(readFile(join(top, 'drover-agent.service'), 'utf8')).resolves.toContain('/opt/drover-agent/current/agent/supervisor.js');
    const pkg = JSON.parse(await readFile(join(top, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.type).toBe('module');
    expect(pkg.dependencies).toBeUndefined();
  });

  it('starts from an empty directory with Node alone, its lazily loaded parts included', async () => {
    const main = join(dir, 'drover-agent/agent/main.js');
    const help = await execa(process.execPath, [main, '--help'], { cwd: dir });
    expect(help.stdout).toContain('--token-file');
    // an invalid option is refused by the bundled commander, not a missing module
    const bad = await execa(process.execPath, [main, '--name', 'Not_Valid'], { cwd: dir, reject: false });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('is not a valid node name');
    // systeminformation (required at run time) resolves inside the bundle
    const si = await execa(process.execPath, ['-e', "console.log(require.resolve('systeminformation/lib/cpu.js'))"], { cwd: join(dir, 'drover-agent/agent') });
    expect(si.stdout).toContain(join(dir, 'drover-agent/node_modules/systeminformation'));
  });
});
