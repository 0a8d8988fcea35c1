/**
 * `npm start` runs `drover up`: a hub with its embedded broker and one local agent, with the status page
 * URL (HTTPS, with the CA to trust) printed. This starts it for real (in a temp data dir, on free ports) and checks what a user sees.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { createCaFetch } from '../../hub/cli/tls-fetch.js';
import { cleanup, DROVER, startDrover, waitFor, type Proc } from './support.js';

describe('drover up', () => {
  let proc: Proc | undefined;
  let dir = '';
  afterAll(async () => {
    await proc?.stop('SIGINT');
    if (dir) await cleanup(dir);
  });

  it('starts a hub and a local agent, prints the status page URL, and the node is Ready', async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-up-'));
    const env = { DROVER_CONFIG: join(dir, 'config.json') };
    proc = startDrover(['up', '--data-dir', join(dir, 'data'), '--http', '127.0.0.1:0', '--mqtt', '127.0.0.1:0'], env);
    const url = await waitFor('the status page URL', async () => /Status page: (https:\/\/127\.0\.0\.1:\d+\/?)/.exec(proc!.output())?.[1], 30_000);
    // HTTPS like everywhere else: the output says which CA to trust
    const caPath = join(dir, 'data', 'hub', 'pki', 'ca.crt');
    expect(proc.output()).toContain(`trust ${caPath}`);

    const expectedNode = hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '');
    const nodes = await waitFor('the local node Ready', async () => {
      const r = await execa(process.execPath, [DROVER, 'get', 'nodes'], { env: { ...process.env, ...env } });
      return /\sReady\s/.test(r.stdout) ? r.stdout : undefined;
    }, 60_000);
    expect(nodes).toContain(expectedNode.slice(0, 20));

    await expect(fetch(url)).rejects.toThrow(); // Node's fetch does not know the hub's CA
    const page = await createCaFetch(await readFile(caPath, 'utf8'))(url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/<html/i);

    const code = await proc.stop('SIGINT');
    expect(code).toBe(0);
  });
});
