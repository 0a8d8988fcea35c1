import { describe, expect, it } from 'vitest';
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
      name: 'edge-box',
      runtime: undefined,
      dataDir: '/home/pi/.drover/agent-edge-box',
      statusIntervalMs: 5000,
      statusRefreshMs: 60_000,
      podNetwork: true,
    });
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
});
