import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeNameFromHostname, parseAgentArgs } from '../../agent/cli.js';
import { InvalidOptionError } from '../../agent/errors.js';

describe('agent command line', () => {
  it('turns a hostname into a DNS-label node name', () => {
    expect(nodeNameFromHostname('RaspberryPi')).toBe('raspberrypi');
    expect(nodeNameFromHostname('pi-4.local')).toBe('pi-4');
    expect(nodeNameFromHostname('My_Box 2')).toBe('my-box-2');
    expect(nodeNameFromHostname('--x--')).toBe('x');
    expect(nodeNameFromHostname('a'.repeat(80))).toHaveLength(63);
    expect(nodeNameFromHostname('___')).toBe('node');
  });

  it('applies the defaults: name from the hostname, data dir under ~/.drover, status every 5 s', () => {
    const o = parseAgentArgs(['--hub', 'mqtt://hub:1883', '--token', 't'], 'Edge-Box', '/home/pi');
    expect(o).toEqual({
      hubUrl: 'mqtt://hub:1883',
      token: 't',
      tokenSource: 'argv',
      name: 'edge-box',
      labels: {},
      runtime: undefined,
      dataDir: '/home/pi/.drover/agent-edge-box',
      statusIntervalMs: 5000,
      statusRefreshMs: 60_000,
      podNetwork: true,
    });
  });

  it('takes node labels from --labels or $DROVER_NODE_LABELS and refuses bad or reserved ones, naming them', () => {
    expect(parseAgentArgs(['--labels', 'site=plant-3,rack=a,node.kubernetes.io/edge='], 'h', '/root').labels).toEqual({ site: 'plant-3', rack: 'a', 'node.kubernetes.io/edge': '' });
    vi.stubEnv('DROVER_NODE_LABELS', 'site=plant-7');
    try {
      expect(parseAgentArgs([], 'h', '/root').labels).toEqual({ site: 'plant-7' });
      expect(parseAgentArgs(['--labels', 'site=x'], 'h', '/root').labels).toEqual({ site: 'x' }); // the option wins
      vi.stubEnv('DROVER_NODE_LABELS', 'site');
      expect(() => parseAgentArgs([], 'h', '/root')).toThrow(/DROVER_NODE_LABELS: "site" is not key=value/);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(() => parseAgentArgs(['--labels', 'kubernetes.io/hostname=x,node-role.kubernetes.io/master='], 'h', '/root')).toThrow(/--labels: node-role\.kubernetes\.io\/master: the kubernetes\.io prefix is reserved/);
    expect(() => parseAgentArgs(['--labels', 'node-restriction.kubernetes.io/trusted=yes'], 'h', '/root')).toThrow(/admins only/);
    expect(() => parseAgentArgs(['--labels', 'drover.io/agent-version=1'], 'h', '/root')).toThrow(InvalidOptionError);
    expect(() => parseAgentArgs(['--labels', 'a=1,a=2'], 'h', '/root')).toThrow(/label a is given twice/);
    expect(() => parseAgentArgs(['--labels', 'bad key=1'], 'h', '/root')).toThrow(/--labels: .*invalid label key/);
  });

  it('takes every option', () => {
    const o = parseAgentArgs(
      ['--hub', 'mqtt://10.0.0.1:1883', '--name', 'n1', '--runtime', 'containerd', '--data-dir', '/var/lib/a', '--status-interval', '2.5'],
      'h',
      '/root',
    );
    expect(o).toMatchObject({ name: 'n1', runtime: 'containerd', dataDir: '/var/lib/a', statusIntervalMs: 2500, token: undefined });
    expect(parseAgentArgs(['--no-pod-network'], 'h', '/root').podNetwork).toBe(false);
  });

  it('refuses bad values', () => {
    expect(() => parseAgentArgs(['--runtime', 'podman'], 'h', '/r')).toThrow(/podman/);
    expect(() => parseAgentArgs(['--status-interval', '0'], 'h', '/r')).toThrow(/positive/);
    expect(() => parseAgentArgs(['--hub', 'http://x'], 'h', '/r')).toThrow(/mqtt/);
    expect(() => parseAgentArgs(['--name', 'Bad_Name'], 'h', '/r')).toThrow(InvalidOptionError);
  });

  describe('the join token off the command line', () => {
    afterEach(() => vi.unstubAllEnvs());

    it('reads --token-file (trimmed), refuses an empty or missing one and --token with it', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'drover-cli-'));
      try {
        await writeFile(join(dir, 'tok'), 'K10abc::drover-join.x.y\n', { mode: 0o600 });
        expect(parseAgentArgs(['--token-file', join(dir, 'tok')], 'h', '/r')).toMatchObject({ token: 'K10abc::drover-join.x.y', tokenSource: 'file' });
        await writeFile(join(dir, 'empty'), '\n');
        expect(() => parseAgentArgs(['--token-file', join(dir, 'empty')], 'h', '/r')).toThrow(/is empty/);
        expect(() => parseAgentArgs(['--token-file', join(dir, 'none')], 'h', '/r')).toThrow(InvalidOptionError);
        expect(() => parseAgentArgs(['--token-file', join(dir, 'tok'), '--token', 't'], 'h', '/r')).toThrow(/not both/);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('takes DROVER_JOIN_TOKEN when no option gives one', () => {
      vi.stubEnv('DROVER_JOIN_TOKEN', 'from-env');
      expect(parseAgentArgs([], 'h', '/r')).toMatchObject({ token: 'from-env', tokenSource: 'env' });
      expect(parseAgentArgs(['--token', 'flag'], 'h', '/r')).toMatchObject({ token: 'flag', tokenSource: 'argv' });
      vi.stubEnv('DROVER_JOIN_TOKEN', '');
      expect(parseAgentArgs([], 'h', '/r')).toMatchObject({ token: undefined, tokenSource: undefined });
    });
  });
});
