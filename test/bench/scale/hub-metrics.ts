/** Readings of the hub's /metrics for the scale bench: network bytes published, any one value, memory. */
import { round } from '../scale-support.js';
import type { Fleet } from './fleet.js';

/** What the hub published on the network topics so far (drover_network_publish_bytes_total, by topic). */
export async function recordNetworkBytes(f: Fleet, when: string): Promise<void> {
  const text = await (await f.fetch(`${f.info.httpUrl}/metrics`, { headers: { authorization: `Bearer ${f.adminToken}` } })).text();
  const byTopic = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^drover_network_publish_bytes_total\{topic="([a-z]+)"\} ([0-9.e+]+)$/.exec(line);
    if (m) byTopic.set(m[1]!, Number(m[2]));
  }
  if (byTopic.size === 0) return; // a hub without the counter
  const total = [...byTopic.values()].reduce((a, b) => a + b, 0);
  const parts = [...byTopic].map(([k, v]) => `${k} ${round(v / 2 ** 20, 1)} MiB`).join(', ');
  f.record(`hub bytes published on the network topics ${when}`, round(total / 2 ** 20, 1), 'MiB', `drover_network_publish_bytes_total from hub start: ${parts}`);
}

export async function metricValue(f: Fleet, name: string): Promise<number | undefined> {
  const text = await (await f.fetch(`${f.info.httpUrl}/metrics`, { headers: { authorization: `Bearer ${f.adminToken}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`drover_hub_${name} `));
  return line ? Number(line.split(' ')[1]) : undefined;
}

/** Where the hub's RSS goes, from its own metrics: the V8 heap (used of allocated) and memory outside it (Buffers). */
export async function hubMemoryNote(f: Fleet): Promise<string> {
  const mib = (v: number | undefined) => (v === undefined ? '?' : String(Math.round(v / 2 ** 20)));
  const [used, total, external] = await Promise.all(
    ['nodejs_heap_size_used_bytes', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes'].map((m) => metricValue(f, m).catch(() => undefined)),
  );
  return `V8 heap ${mib(used)} MiB used of ${mib(total)} MiB, external ${mib(external)} MiB`;
}
