/**
 * Run by network.bench.ts inside a device's network namespace (`ip netns exec NS node --import tsx
 * network-probe.ts '<json>'`); prints one JSON line with its figures.
 *   {"mode":"http","targets":{"name":"ip:port",...},"n":1000}: n GETs per target (interleaved), each a new TCP
 *       connection; latencies in ms (median, p99) per target.
 *   {"mode":"dns","server":"ip","name":"api.ns.svc.cluster.local","n":1000}: n A queries over UDP; ms (median, p99).
 *   {"mode":"first","target":"ip:port","expect":"body"}: GETs every 10 ms until one answers `expect`; prints the
 *       wall-clock time (ms since the epoch) of that answer.
 */
import dnsPacket from 'dns-packet';
import { createSocket } from 'node:dgram';
import { request } from 'node:http';

type Config =
  | { mode: 'http'; targets: Record<string, string>; n: number }
  | { mode: 'dns'; server: string; name: string; n: number }
  | { mode: 'first'; target: string; expect: string };

const config = JSON.parse(process.argv[2]!) as Config;

function get(target: string, timeoutMs = 2000): Promise<string> {
  const [host, port] = target.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

function stats(ms: number[]): { median: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return { median: Math.round(at(0.5) * 1000) / 1000, p99: Math.round(at(0.99) * 1000) / 1000 };
}

async function dnsQuery(server: string, name: string, id: number): Promise<void> {
  const socket = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), 2000);
      socket.on('message', (msg) => {
        const a = dnsPacket.decode(msg);
        if (a.id !== id) return;
        clearTimeout(timer);
        if ((a.answers ?? []).length === 0) reject(new Error(`no records for ${name}`));
        else resolve();
      });
      socket.send(dnsPacket.encode({ type: 'query', id, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name, class: 'IN' }] }), 53, server);
    });
  } finally {
    socket.close();
  }
}

if (config.mode === 'http') {
  const targets = Object.entries(config.targets);
  for (const [, target] of targets) for (let i = 0; i < 20; i++) await get(target); // warm-up: ARP, the JIT
  // interleaved, one request to each target per round, so that the machine's load drifts over all alike
  const ms = new Map<string, number[]>(targets.map(([name]) => [name, []]));
  for (let i = 0; i < config.n; i++) {
    for (const [name, target] of targets) {
      const t = process.hrtime.bigint();
      await get(target);
      ms.get(name)!.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  console.log(JSON.stringify(Object.fromEntries([...ms].map(([name, v]) => [name, stats(v)]))));
} else if (config.mode === 'dns') {
  for (let i = 0; i < 20; i++) await dnsQuery(config.server, config.name, i + 1);
  const ms: number[] = [];
  for (let i = 0; i < config.n; i++) {
    const t = process.hrtime.bigint();
    await dnsQuery(config.server, config.name, (i % 60_000) + 100);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  console.log(JSON.stringify(stats(ms)));
} else {
  for (;;) {
    const body = await get(config.target, 500).catch(() => '');
    if (body === config.expect) {
      console.log(JSON.stringify({ at: Date.now() }));
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}
