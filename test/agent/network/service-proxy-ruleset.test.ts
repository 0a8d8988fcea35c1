/** The service proxy's ruleset text for a network set, its transactions, and the proxy's nft calls (fake runner). */
import { describe, expect, it } from 'vitest';
import { ServiceProxyError } from '../../../agent/errors.js';
import { createServiceProxy, parseTableListing } from '../../../agent/network/service-proxy.js';
import { staleUdpDeletions } from '../../../agent/network/service-proxy-conntrack.js';
import { renderReplacement, renderServiceRuleset, renderTransaction } from '../../../agent/network/service-proxy-ruleset.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { ProcessResult, ProcessRunner, RunOptions } from '../../../runtime-adapters/index.js';
import { endpoint, networkSet, service } from './fixtures.js';

const api = service('api', {
  endpoints: [endpoint('10.42.0.3'), endpoint('10.42.1.4'), endpoint('10.42.0.5', { ready: false }), endpoint('10.42.0.6', { ready: false, terminating: true })],
});

/** The rules of the first chain whose name matches `pattern` (a regular expression's source, from the name's start). */
function chainRules(text: string, pattern: string): string[] {
  const m = new RegExp(`\\tchain (${pattern}[^ ]*) \\{\\n([\\s\\S]*?)\\n\\t\\}`).exec(text);
  if (!m) throw new Error(`no chain ${pattern}`);
  return m[2]!.split('\n').map((l) => l.trim());
}

describe('renderServiceRuleset', () => {
  it('ClusterIP: the cluster IP and port go to the Service chain, which picks a ready endpoint per new connection', () => {
    const r = renderServiceRuleset(networkSet([api]));
    expect(r.text).toMatch(/^table ip drover \{\n/);
    expect(r.text).toMatch(/10\.43\.0\.10 \. tcp \. 80 : goto svc-[0-9a-f]{8}-default\/api\/tcp\/http/);
    const svc = chainRules(r.text, 'svc-');
    expect(svc[0]).toBe('ip saddr != 10.42.0.0/16 jump mark-for-masquerade');
    expect(svc[1]).toMatch(/^numgen random mod 2 vmap \{ 0 : goto ep-[0-9a-f]{8}-default\/api\/tcp\/http__10\.42\.0\.3\/8080, 1 : goto ep-[0-9a-f]{8}-default\/api\/tcp\/http__10\.42\.1\.4\/8080 \}$/);
    // not ready and terminating endpoints take no new connections
    expect(r.text).not.toContain('10.42.0.5');
    expect(r.text).not.toContain('10.42.0.6');
    expect(chainRules(r.text, 'ep-')).toEqual(['ip saddr 10.42.0.3 jump mark-for-masquerade', 'meta l4proto tcp dnat to 10.42.0.3:8080']);
    expect(r.served).toBe(1);
    expect(r.rejected).toBe(0);
  });

  it('hooks: DNAT in prerouting (pods) and output (the node), masquerade by mark in postrouting, refusal after DNAT', () => {
    const r = renderServiceRuleset(networkSet([api]));
    expect(chainRules(r.text, 'prerouting')).toEqual([
      'type nat hook prerouting priority -100; policy accept;',
      'jump services',
    ]);
    expect(r.text).toContain(`\tchain ruleset-${r.hash} {\n\t}\n}\n`);
    expect(r.chains).toContain(`ruleset-${r.hash}`);
    expect(chainRules(r.text, 'output')).toEqual(['type nat hook output priority -100; policy accept;', 'jump services']);
    expect(chainRules(r.text, 'postrouting')).toEqual(['type nat hook postrouting priority 100; policy accept;', 'jump masquerading']);
    expect(chainRules(r.text, 'filter-prerouting')).toEqual(['type filter hook prerouting priority -90; policy accept;', 'jump reject-unserved']);
    expect(chainRules(r.text, 'filter-output')).toEqual(['type filter hook output priority -90; policy accept;', 'jump reject-unserved']);
    expect(chainRules(r.text, 'services')).toEqual([
      'ip daddr . meta l4proto . th dport vmap @service-ips',
      'fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports',
    ]);
    expect(chainRules(r.text, 'masquerading')).toEqual([
      'meta mark and 0x00004000 == 0 return',
      'meta mark set meta mark xor 0x00004000',
      'masquerade fully-random',
    ]);
    expect(chainRules(r.text, 'mark-for-masquerade')).toEqual(['meta mark set meta mark or 0x00004000']);
  });

  it('NodePort and LoadBalancer: the nodePort on the node\'s own addresses, masqueraded, to the same endpoints', () => {
    const np = service('web', { type: 'NodePort', clusterIP: '10.43.0.20', ports: [{ protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }], endpoints: [endpoint('10.42.0.3')] });
    const lb = service('lb', { type: 'LoadBalancer', clusterIP: '10.43.0.21', ports: [{ name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353, nodePort: 30053 }], endpoints: [endpoint('10.42.0.4')] });
    const r = renderServiceRuleset(networkSet([np, lb]));
    expect(r.text).toMatch(/tcp \. 30080 : goto ext-[0-9a-f]{8}-default\/web\/tcp\/80/);
    expect(r.text).toMatch(/udp \. 30053 : goto ext-[0-9a-f]{8}-default\/lb\/udp\/dns/);
    const ext = chainRules(r.text, 'ext-\\w+-default/web');
    expect(ext[0]).toBe('jump mark-for-masquerade');
    expect(ext[1]).toMatch(/^goto svc-[0-9a-f]{8}-default\/web\/tcp\/80$/);
    // a single endpoint needs no numgen
    expect(chainRules(r.text, 'svc-\\w+-default/web')[1]).toMatch(/^goto ep-/);
  });

  it('a ClusterIP Service with a nodePort in its ports serves no NodePort', () => {
    const r = renderServiceRuleset(networkSet([service('c', { ports: [{ protocol: 'TCP', port: 80, targetPort: 80, nodePort: 30001 }], endpoints: [endpoint('10.42.0.3')] })]));
    expect(r.text).not.toContain('30001');
  });

  it('ClientIP affinity: an affinity set per endpoint with the timeout (default 3 h), checked before the random pick', () => {
    const sticky = service('sticky', { sessionAffinity: 'ClientIP', endpoints: [endpoint('10.42.0.3'), endpoint('10.42.0.4')] });
    const short = service('short', { clusterIP: '10.43.0.11', sessionAffinity: 'ClientIP', affinityTimeoutSeconds: 60, endpoints: [endpoint('10.42.0.3')] });
    const r = renderServiceRuleset(networkSet([sticky, short]));
    expect(r.affinitySets).toHaveLength(3);
    expect(r.text).toMatch(/set aff-[0-9a-f]{8}-default\/sticky\/tcp\/http__10\.42\.0\.3\/8080\/10800 \{\n\t\ttype ipv4_addr\n\t\tflags dynamic,timeout\n\t\ttimeout 10800s\n\t\}/);
    expect(r.text).toMatch(/set aff-[0-9a-f]{8}-default\/short\/tcp\/http__10\.42\.0\.3\/8080\/60 \{[^}]*timeout 60s/);
    const svc = chainRules(r.text, 'svc-\\w+-default/sticky');
    expect(svc[1]).toMatch(/^ip saddr @aff-\S+10\.42\.0\.3\/8080\/10800 goto ep-\S+10\.42\.0\.3\/8080$/);
    expect(svc[2]).toMatch(/^ip saddr @aff-\S+10\.42\.0\.4\/8080\/10800 goto ep-\S+10\.42\.0\.4\/8080$/);
    expect(svc[3]).toMatch(/^numgen random mod 2 vmap/);
    const ep = r.text.split('\n').filter((l) => l.includes('update @aff-'));
    expect(ep).toHaveLength(3);
    expect(ep[0]!.trim()).toMatch(/^update @aff-\S+ \{ ip saddr \}$/);
  });

  it('no ready endpoints: the Service is in no map, its nodePort is refused, and the service CIDR is refused after DNAT', () => {
    const empty = service('empty', { type: 'NodePort', ports: [{ protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30081 }], endpoints: [endpoint('10.42.0.3', { ready: false })] });
    const r = renderServiceRuleset(networkSet([empty]));
    expect(r.text).not.toMatch(/10\.43\.0\.10 \. tcp/);
    expect(r.text).not.toMatch(/chain svc-/);
    expect(r.text).toMatch(/set no-endpoint-nodeports \{\n\t\ttype inet_proto \. inet_service\n\t\telements = \{ tcp \. 30081 \}/);
    expect(chainRules(r.text, 'reject-unserved')).toEqual([
      'ip daddr 10.43.0.0/16 jump reject-connection',
      'fib daddr type local meta l4proto . th dport @no-endpoint-nodeports jump reject-connection',
    ]);
    expect(chainRules(r.text, 'reject-connection')).toEqual(['meta l4proto tcp reject with tcp reset', 'reject with icmp type port-unreachable']);
    expect(r.rejected).toBe(1);
  });

  it('UDP ports DNAT as UDP', () => {
    const dns = service('dns', { ports: [{ name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353 }, { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 5353 }], endpoints: [endpoint('10.42.0.3')] });
    const r = renderServiceRuleset(networkSet([dns]));
    expect(r.text).toMatch(/10\.43\.0\.10 \. udp \. 53 : goto svc-\S+\/dns\/udp\/dns/);
    expect(r.text).toMatch(/10\.43\.0\.10 \. tcp \. 53 : goto svc-\S+\/dns\/tcp\/dns-tcp/);
    expect(r.text).toContain('meta l4proto udp dnat to 10.42.0.3:5353');
    expect(r.text).toContain('meta l4proto tcp dnat to 10.42.0.3:5353');
  });

  it('headless Services get nothing; bad or conflicting entries are skipped with a reason', () => {
    const headless = service('db', { clusterIP: undefined, endpoints: [endpoint('10.42.0.3')] });
    const v6 = service('six', { clusterIP: 'fd00::10', endpoints: [endpoint('10.42.0.3')] });
    const twin = service('twin', { endpoints: [endpoint('10.42.0.4')] });
    const r = renderServiceRuleset(networkSet([headless, v6, api, twin]));
    expect(r.text).not.toContain('default/db/');
    expect(r.skipped).toEqual(['default/six: cluster IP fd00::10 is not IPv4', 'default/twin/tcp/http: 10.43.0.10:80/TCP is already served by another Service']);
    expect(r.served).toBe(1);
  });

  it('chain names are unique per Service, protocol and port number, even when port names repeat', () => {
    const twice = service('twice', { ports: [{ name: 'p', protocol: 'TCP', port: 80, targetPort: 80 }, { name: 'p', protocol: 'TCP', port: 81, targetPort: 81 }], endpoints: [endpoint('10.42.0.3')] });
    const r = renderServiceRuleset(networkSet([twice]));
    expect(new Set(r.chains).size).toBe(r.chains.length);
    expect(r.chains.filter((c) => c.startsWith('svc-'))).toHaveLength(2);
  });

  it('the same set renders the same text whatever the order; a change changes the hash', () => {
    const other = service('other', { clusterIP: '10.43.0.99', endpoints: [endpoint('10.42.0.9'), endpoint('10.42.0.8')] });
    const a = renderServiceRuleset(networkSet([api, other]));
    const b = renderServiceRuleset(networkSet([{ ...other, endpoints: [...other.endpoints].reverse() }, api]));
    expect(b.text).toBe(a.text);
    expect(b.hash).toBe(a.hash);
    expect(renderServiceRuleset(networkSet([api])).hash).not.toBe(a.hash);
  });

  it('the table name and mark are options', () => {
    const r = renderServiceRuleset(networkSet([api]), { table: 'drover_test', masqueradeMark: 0x8000 });
    expect(r.text).toMatch(/^table ip drover_test \{/);
    expect(r.text).toContain('meta mark set meta mark or 0x00008000');
  });
});

describe('staleUdpDeletions', () => {
  it('deletes the conntrack entries of UDP endpoints that left, on the cluster IP and the nodePort', () => {
    const before = [{ clusterIP: '10.43.0.13', port: 53, nodePort: 30053, endpoints: ['10.42.0.2', '10.42.0.3'] }];
    expect(staleUdpDeletions(before, before)).toEqual([]);
    expect(staleUdpDeletions(before, [{ ...before[0]!, endpoints: ['10.42.0.3', '10.42.0.4'] }])).toEqual([
      ['-D', '-p', 'udp', '--orig-dst', '10.43.0.13', '--orig-port-dst', '53', '--dst-nat', '10.42.0.2'],
      ['-D', '-p', 'udp', '--orig-port-dst', '30053', '--dst-nat', '10.42.0.2'],
    ]);
    // a Service port that went (no ready endpoints, or deleted): all of its endpoints
    expect(staleUdpDeletions([{ clusterIP: '10.43.0.13', port: 53, endpoints: ['10.42.0.2'] }], [])).toEqual([
      ['-D', '-p', 'udp', '--orig-dst', '10.43.0.13', '--orig-port-dst', '53', '--dst-nat', '10.42.0.2'],
    ]);
  });

  it('the ruleset lists the UDP ports served', () => {
    const dns = service('dns', { type: 'NodePort', ports: [{ protocol: 'UDP', port: 53, targetPort: 5353, nodePort: 30053 }, { protocol: 'TCP', port: 53, targetPort: 5353 }], endpoints: [endpoint('10.42.0.3')] });
    expect(renderServiceRuleset(networkSet([dns])).udp).toEqual([{ clusterIP: '10.43.0.10', port: 53, nodePort: 30053, endpoints: ['10.42.0.3'] }]);
  });
});

describe('renderTransaction', () => {
  const sticky = service('sticky', { sessionAffinity: 'ClientIP', endpoints: [endpoint('10.42.0.3')] });
  const r = renderServiceRuleset(networkSet([sticky]));
  const kept = r.affinitySets[0]!;

  it('a new table: created and filled', () => {
    expect(renderTransaction(r, undefined)).toBe(`add table ip drover\n${r.text}`);
  });

  it('an existing table: everything flushed but affinity sets, what is gone deleted, then the ruleset', () => {
    const tx = renderTransaction(r, { chains: ['prerouting', 'svc-old'], maps: ['service-ips', 'old-map'], sets: ['no-endpoint-nodeports', kept, 'aff-gone'], hash: 'x' });
    const lines = tx.split('\n');
    expect(lines.slice(0, 11)).toEqual([
      'add table ip drover',
      'flush chain ip drover prerouting',
      'flush chain ip drover svc-old',
      'flush map ip drover service-ips',
      'flush map ip drover old-map',
      'flush set ip drover no-endpoint-nodeports',
      'flush set ip drover aff-gone',
      'delete chain ip drover svc-old',
      'delete map ip drover old-map',
      'delete set ip drover aff-gone',
      'table ip drover {',
    ]);
    expect(tx).not.toContain(`flush set ip drover ${kept}`);
  });

  it('the replacement deletes the table first', () => {
    expect(renderReplacement(r)).toBe(`add table ip drover\ndelete table ip drover\n${r.text}`);
  });
});

describe('parseTableListing', () => {
  it('reads the names of the table and the marker from nft -j list chains/sets/maps', () => {
    const meta = { metainfo: { version: '1.0.6' } };
    const chains = JSON.stringify({
      nftables: [
        meta,
        { chain: { family: 'ip', table: 'nat', name: 'DOCKER' } },
        { chain: { family: 'ip', table: 'drover', name: 'prerouting', hook: 'prerouting' } },
        { chain: { family: 'ip', table: 'drover', name: 'svc-x' } },
        { chain: { family: 'ip', table: 'drover', name: 'ruleset-0123456789abcdef' } },
      ],
    });
    const sets = JSON.stringify({ nftables: [meta, { set: { family: 'ip', name: 'aff-x', table: 'drover' } }, { set: { family: 'ip', name: 'other', table: 'filter' } }] });
    const maps = JSON.stringify({ nftables: [meta, { map: { family: 'ip', name: 'service-ips', table: 'drover' } }] });
    expect(parseTableListing('drover', chains, sets, maps)).toEqual({
      chains: ['prerouting', 'svc-x', 'ruleset-0123456789abcdef'],
      maps: ['service-ips'],
      sets: ['aff-x'],
      hash: '0123456789abcdef',
    });
    expect(parseTableListing('drover', JSON.stringify({ nftables: [meta, { chain: { table: 'nat', name: 'DOCKER' } }] }))).toBeUndefined();
  });
});

describe('createServiceProxy (fake runner)', () => {
  interface Call {
    file: string;
    args: readonly string[];
    input?: string;
  }
  const ok = (stdout = ''): ProcessResult => ({ exitCode: 0, stdout, stderr: '', timedOut: false });
  const fail = (stderr: string): ProcessResult => ({ exitCode: 1, stdout: '', stderr, timedOut: false });
  function fakeNft(answer: (call: Call) => ProcessResult): { runner: ProcessRunner; calls: Call[] } {
    const calls: Call[] = [];
    const runner: ProcessRunner = async (file, args, options?: RunOptions) => {
      const call = { file, args, ...(options?.input === undefined ? {} : { input: options.input }) };
      calls.push(call);
      return answer(call);
    };
    return { runner, calls };
  }
  const isList = (c: { args: readonly string[] }) => c.args.includes('list');
  /** nft's answer to a listing of family ip holding these chains of table drover (no sets, no maps). */
  const listing = (c: Call, chains: string[] = []): ProcessResult =>
    ok(JSON.stringify({ nftables: [{ metainfo: {} }, ...(c.args.includes('chains') ? chains.map((name) => ({ chain: { family: 'ip', table: 'drover', name } })) : [])] }));
  const absent = (c: Call) => listing(c);
  const LIST_CALLS = [
    ['nft', '-j', 'list', 'chains', 'ip'],
    ['nft', '-t', '-j', 'list', 'sets', 'ip'],
    ['nft', '-t', '-j', 'list', 'maps', 'ip'],
  ];
  const set = networkSet([api]);

  it('writes the ruleset through nft -f - (stdin, argument array), then does nothing for the same set', async () => {
    let table: string | undefined;
    const { runner, calls } = fakeNft((c) => {
      if (isList(c)) {
        if (!table) return absent(c);
        return listing(c, ['prerouting', /chain (ruleset-[0-9a-f]+)/.exec(table)![1]!]);
      }
      table = c.input;
      return ok();
    });
    const proxy = createServiceProxy({ logger: silentLogger(), runner });
    const first = await proxy.apply(set);
    expect(first.changed).toBe(true);
    expect(calls.map((c) => [c.file, ...c.args])).toEqual([...LIST_CALLS, ['nft', '-f', '-']]);
    expect(calls[3]!.input).toBe(renderTransaction(renderServiceRuleset(set), undefined));
    const second = await proxy.apply(set);
    expect(second).toEqual({ ...first, changed: false });
    expect(calls).toHaveLength(7); // only the listing
  });

  it('runs nft in another network namespace through nsenter', async () => {
    const { runner, calls } = fakeNft((c) => (isList(c) ? absent(c) : ok()));
    await createServiceProxy({ logger: silentLogger(), runner, netnsPath: '/run/netns/n1' }).apply(set);
    expect(calls[0]!.file).toBe('nsenter');
    expect(calls[0]!.args).toEqual(['--net=/run/netns/n1', '--', 'nft', '-j', 'list', 'chains', 'ip']);
    expect(calls[3]!.args).toEqual(['--net=/run/netns/n1', '--', 'nft', '-f', '-']);
  });

  it('replaces the whole table when the incremental transaction is refused, and fails typed when that is too', async () => {
    let loads = 0;
    const { runner, calls } = fakeNft((c) => (isList(c) ? listing(c, ['weird']) : ++loads === 1 ? fail('Error: Could not process rule') : ok()));
    const proxy = createServiceProxy({ logger: silentLogger(), runner });
    expect((await proxy.apply(set)).changed).toBe(true);
    expect(calls[3]!.input).toContain('flush chain ip drover weird');
    expect(calls[4]!.input).toBe(renderReplacement(renderServiceRuleset(set)));

    const broken = fakeNft((c) => (isList(c) ? absent(c) : fail('Error: syntax error')));
    const err = await createServiceProxy({ logger: silentLogger(), runner: broken.runner }).apply(set).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceProxyError);
    expect((err as ServiceProxyError).code).toBe('EAGENT_SERVICE_PROXY');
    expect((err as Error).message).toContain('syntax error');
  });

  it('a listing that fails otherwise is an error, not an empty table', async () => {
    const { runner } = fakeNft(() => fail('Error: Operation not permitted'));
    await expect(createServiceProxy({ logger: silentLogger(), runner }).apply(set)).rejects.toThrow(/Operation not permitted/);
  });

  it('clear deletes the table in one transaction (no error when it is absent)', async () => {
    const { runner, calls } = fakeNft(() => ok());
    await createServiceProxy({ logger: silentLogger(), runner }).clear();
    expect(calls).toEqual([{ file: 'nft', args: ['-f', '-'], input: 'add table ip drover\ndelete table ip drover\n' }]);
  });

  it('clears conntrack entries of UDP endpoints that left, after the new rules; warns once without conntrack', async () => {
    const udp = (ips: string[]) => networkSet([service('dns', { ports: [{ protocol: 'UDP', port: 53, targetPort: 5353 }], endpoints: ips.map((ip) => endpoint(ip)) })]);
    const { runner, calls } = fakeNft((c) => (isList(c) ? absent(c) : c.file === 'conntrack' ? fail('conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.') : ok()));
    const proxy = createServiceProxy({ logger: silentLogger(), runner });
    await proxy.apply(udp(['10.42.0.2', '10.42.0.3']));
    expect(calls.filter((c) => c.file === 'conntrack')).toEqual([]);
    await proxy.apply(udp(['10.42.0.3']));
    const last = calls.slice(-2);
    expect(last.map((c) => c.file)).toEqual(['nft', 'conntrack']);
    expect(last[1]!.args).toEqual(['-D', '-p', 'udp', '--orig-dst', '10.43.0.10', '--orig-port-dst', '53', '--dst-nat', '10.42.0.2']);

    const missing: ProcessResult = { exitCode: undefined, stdout: '', stderr: '', timedOut: false, spawnError: Object.assign(new Error('spawn conntrack ENOENT'), { code: 'ENOENT' }) };
    const lines: string[] = [];
    const { pino } = await import('pino');
    const { Writable } = await import('node:stream');
    const logger = pino(new Writable({ write: (chunk, _e, cb) => void (lines.push(String(chunk)), cb()) }));
    const none = fakeNft((c) => (isList(c) ? absent(c) : c.file === 'conntrack' ? missing : ok()));
    const p2 = createServiceProxy({ logger, runner: none.runner });
    await p2.apply(udp(['10.42.0.2', '10.42.0.3', '10.42.0.4']));
    await p2.apply(udp(['10.42.0.4'])); // two endpoints left: one attempt, then no more
    await p2.apply(udp([]));
    expect(none.calls.filter((c) => c.file === 'conntrack')).toHaveLength(1);
    expect(lines.filter((l) => l.includes('conntrack is not installed'))).toHaveLength(1);
  });

  it('serializes applies', async () => {
    let active = 0;
    let most = 0;
    const slow: ProcessRunner = async (_file, args) => {
      active++;
      most = Math.max(most, active);
      await new Promise((r) => setTimeout(r, 5));
      active--;
      return args.includes('list') ? absent({ file: 'nft', args }) : ok();
    };
    const proxy = createServiceProxy({ logger: silentLogger(), runner: slow });
    await Promise.all([proxy.apply(set), proxy.apply(networkSet([])), proxy.clear()]);
    expect(most).toBe(1);
  });
});
