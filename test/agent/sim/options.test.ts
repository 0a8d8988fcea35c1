/** The simulator's command line, progress lines and fake facts (pure parts). */
import { describe, expect, it } from 'vitest';
import { buildNodeStatusMessage } from '../../../agent/link/node-status.js';
import { fakeFacts, simNodeIP, simPodIP } from '../../../agent/sim/fake-facts.js';
import { parseSimArgs, simNodeName } from '../../../agent/sim/options.js';
import { formatProgress, parseProgress, type ProgressLine } from '../../../agent/sim/progress.js';
import { nodeStatusMessageSchema } from '../../../protocol/messages.js';

describe('drover sim options', () => {
  it('has the agent\'s defaults and one data dir root', () => {
    const o = parseSimArgs(['--hub', 'mqtt://127.0.0.1:1883', '--token', 'T', '--nodes', '3'], '/home/u');
    expect(o).toMatchObject({
      hubUrl: 'mqtt://127.0.0.1:1883', token: 'T', nodes: 3, namePrefix: 'sim-', startIndex: 0, dataDir: '/home/u/.drover/sim',
      podsPerNode: 110, cpuCores: 4, memoryBytes: 8 * 2 ** 30, statusIntervalMs: 5000, statusRefreshMs: 60_000,
      runningAfterMs: 1000, stopAfterMs: 500, joinConcurrency: 16, killLike: false, reconnectMinMs: undefined,
    });
  });

  it('takes every option', () => {
    const o = parseSimArgs(['--hub', 'mqtts://hub:8883', '--nodes', '2500', '--name-prefix', 'edge-', '--start-index', '2500', '--pods-per-node', '20',
      '--status-interval', '2', '--running-after', '0', '--data-dir', '/d', '--memory', '2Gi', '--kill-like', '--reconnect-min', '10', '--reconnect-max', '50']);
    expect(o).toMatchObject({ nodes: 2500, namePrefix: 'edge-', startIndex: 2500, podsPerNode: 20, statusIntervalMs: 2000, runningAfterMs: 0,
      dataDir: '/d', memoryBytes: 2 * 2 ** 30, killLike: true, reconnectMinMs: 10, reconnectMaxMs: 50 });
    expect(simNodeName('edge-', 2500)).toBe('edge-02500');
  });

  it('refuses a prefix that makes invalid node names and values that cannot work', () => {
    expect(() => parseSimArgs(['--hub', 'mqtt://h:1', '--name-prefix', 'Sim_'])).toThrow(/not valid/);
    expect(() => parseSimArgs(['--hub', 'mqtt://h:1', '--nodes', '0'])).toThrow();
    expect(() => parseSimArgs(['--hub', 'http://h:1'])).toThrow();
    expect(() => parseSimArgs(['--nodes', '2'])).toThrow();
  });
});

describe('progress lines', () => {
  it('round-trip', () => {
    const line: ProgressLine = { kind: 'sim-progress', t: 12.3, nodes: 5, joined: 5, connected: 4, everConnected: 5, reconnects: 1, joinFailures: 2, pods: 9, pending: 1, running: 8, stopping: 0, rssMib: 90 };
    const text = formatProgress(line);
    expect(text).toBe('sim-progress t=12.3 nodes=5 joined=5 connected=4 ever-connected=5 reconnects=1 join-failures=2 pods=9 pending=1 running=8 stopping=0 rss-mib=90');
    expect(parseProgress(text)).toEqual(line);
    expect(parseProgress('{"level":30}')).toBeUndefined();
  });
});

describe('fake facts', () => {
  it('make a valid node status through the agent\'s own builder, distinct per node', () => {
    const facts = fakeFacts({ index: 7, name: 'sim-00007', cpuCores: 4, memoryBytes: 8 * 2 ** 30 });
    const message = nodeStatusMessageSchema.parse(buildNodeStatusMessage(facts, 'sim-00007'));
    expect(message.status.capacity).toMatchObject({ cpu: '4', memory: `${8 * 2 ** 20}Ki` });
    expect(message.status.addresses).toContainEqual({ type: 'InternalIP', address: simNodeIP(7) });
    expect(message.labels).toMatchObject({ 'kubernetes.io/hostname': 'sim-00007', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' });
    const ips = new Set(Array.from({ length: 70_000 }, (_, i) => simNodeIP(i)));
    expect(ips.size).toBe(70_000);
    expect(simPodIP(300, 0)).not.toBe(simPodIP(301, 0));
  });
});
