import { describe, expect, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import { mergeForApply, withLastApplied } from '../../../hub/cli/apply-merge.js';
import { LAST_APPLIED_ANNOTATION } from '../../../protocol/well-known.js';
import { resolveConnection } from '../../../hub/cli/config.js';
import { nodeNameFromHostname } from '../../../hub/cli/commands/up.js';
import { captureIO } from '../../../hub/cli/io.js';
import { renderTable } from '../../../hub/cli/printers.js';
import { parseDuration, parseHostPort } from '../../../hub/cli/shared.js';
import { podDisplayStatus } from '../../../protocol/pod-display.js';
import type { KubeObject } from '../../../protocol/objects/meta.js';

describe('CLI helpers', () => {
  it('renderTable aligns columns three spaces apart', () => {
    expect(renderTable(['NAME', 'STATUS'], [['a', 'Ready'], ['longer-name', 'NotReady']])).toBe(
      'NAME          STATUS\na             Ready\nlonger-name   NotReady\n',
    );
  });

  it('parses durations and addresses', () => {
    expect(parseDuration('24h')).toBe(86400);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('90')).toBe(90);
    expect(() => parseDuration('soon')).toThrow(/invalid duration/);
    expect(parseHostPort('0.0.0.0:1883', 'x')).toEqual({ host: '0.0.0.0', port: 1883 });
    expect(parseHostPort(':7070', '127.0.0.1')).toEqual({ host: '127.0.0.1', port: 7070 });
    expect(parseHostPort('[::1]:0', 'x')).toEqual({ host: '::1', port: 0 });
    expect(() => parseHostPort('host:99999', 'x')).toThrow(/invalid address/);
  });

  it('names the local node after the hostname, as a DNS label', () => {
    expect(nodeNameFromHostname('My_Laptop.local')).toBe('my-laptop-local');
    expect(nodeNameFromHostname('--X--')).toBe('x');
    expect(nodeNameFromHostname('a'.repeat(80))).toHaveLength(63);
  });

  it('resolves the server and token: flags, then env, then the config file', () => {
    const io = captureIO({ env: { DROVER_CONFIG: '/nonexistent/config.json' } });
    expect(resolveConnection({}, io)).toMatchObject({ server: 'https://127.0.0.1:7070', token: undefined });
    const envIo = captureIO({ env: { DROVER_SERVER: 'http://hub:1/', DROVER_TOKEN: 't', DROVER_CONFIG: '/nonexistent' } });
    expect(resolveConnection({}, envIo)).toMatchObject({ server: 'http://hub:1', token: 't', source: 'DROVER_SERVER' });
    expect(resolveConnection({ server: 'http://x:2', token: 'f' }, envIo)).toMatchObject({ server: 'http://x:2', token: 'f', source: '--server' });
  });

  it('computes STATUS like kubectl', () => {
    expect(podDisplayStatus({ metadata: {}, status: { phase: 'Running' } })).toBe('Running');
    expect(podDisplayStatus({ metadata: {}, status: { phase: 'Pending', containerStatuses: [{ state: { waiting: { reason: 'ErrImagePull' } } }] } })).toBe('ErrImagePull');
    expect(podDisplayStatus({ metadata: {}, status: { phase: 'Failed', containerStatuses: [{ state: { terminated: { exitCode: 2 } } }] } })).toBe('ExitCode:2');
    expect(podDisplayStatus({ metadata: { deletionTimestamp: 'x' }, status: { phase: 'Running' } })).toBe('Terminating');
  });

  it('apply merges three ways: manifest wins, dropped fields go, server fields stay', () => {
    const first: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: '1', b: '2' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
    const live = withLastApplied(first);
    (live.spec as { nodeName?: string }).nodeName = 'n1';
    live.metadata.uid = 'u';
    live.status = { phase: 'Running' };
    expect(isDeepStrictEqual(mergeForApply(live, first), live)).toBe(true);
    const next: KubeObject = { ...first, metadata: { name: 'p', labels: { a: '1' } } };
    const merged = mergeForApply(live, next);
    expect(merged.metadata.labels).toEqual({ a: '1' });
    expect((merged.spec as { nodeName?: string }).nodeName).toBe('n1');
    expect(merged.status).toEqual({ phase: 'Running' });
    expect(JSON.parse(merged.metadata.annotations![LAST_APPLIED_ANNOTATION]!).metadata.labels).toEqual({ a: '1' });
  });
});

describe('argument parsing', () => {
  it('passes every agent option through to the agent, --token included', async () => {
    const { buildProgram } = await import('../../../hub/cli/program.js');
    const program = buildProgram(captureIO());
    const agent = program.commands.find((c) => c.name() === 'agent')!;
    let received: string[] = [];
    agent.action((args: string[]) => {
      received = args;
    });
    await program.parseAsync(['agent', '--hub', 'mqtt://h:1883', '--token', 'drover-join.a.b', '--name', 'n1', '--help'], { from: 'user' });
    expect(received).toEqual(['--hub', 'mqtt://h:1883', '--token', 'drover-join.a.b', '--name', 'n1', '--help']);
  });

  it('accepts --server/--token before or after the command', async () => {
    const { buildProgram } = await import('../../../hub/cli/program.js');
    const { clientFor } = await import('../../../hub/cli/shared.js');
    for (const argv of [['--server', 'http://a:1', '--token', 't', 'get', 'pods'], ['get', 'pods', '--server', 'http://a:1', '--token', 't']]) {
      const io = captureIO({ env: { DROVER_CONFIG: '/nonexistent' } });
      const program = buildProgram(io);
      const get = program.commands.find((c) => c.name() === 'get')!;
      let server = '';
      get.action((_k: string, _n: string[], _f: unknown, cmd: import('commander').Command) => {
        server = clientFor(cmd, io).server;
      });
      await program.parseAsync(argv, { from: 'user' });
      expect(server).toBe('http://a:1');
    }
  });
});
