/** Scenario api: GET and LIST latencies (LIST pods paged) while the fleet heartbeats. */
import { percentile, procStat, round, sleep } from '../scale-support.js';
import { nodeName } from './objects.js';
import type { Fleet } from './fleet.js';

export async function listPodsPaged(f: Fleet): Promise<{ pageMs: number[]; totalMs: number; items: number; paged: boolean; bytes: number }> {
  const pageMs: number[] = [];
  let cont: string | undefined;
  let items = 0;
  let bytes = 0;
  let paged = false;
  const t0 = performance.now();
  do {
    const r = await f.api.request<{ items: unknown[]; metadata?: { continue?: string } }>('GET', `/api/v1/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    if (r.status !== 200) throw new Error(`LIST pods: HTTP ${r.status}`);
    pageMs.push(r.ms);
    bytes += r.bytes;
    items += r.body.items.length;
    cont = r.body.metadata?.continue || undefined;
    if (cont) paged = true;
  } while (cont);
  return { pageMs, totalMs: performance.now() - t0, items, paged, bytes };
}

export async function measureApi(f: Fleet, label: string, podName?: string): Promise<void> {
  const getNode: number[] = [];
  for (let i = 0; i < 200; i++) {
    const r = await f.api.request('GET', `/api/v1/nodes/${nodeName(i % f.n)}`);
    if (r.status === 200) getNode.push(r.ms);
    await sleep(25);
  }
  f.record(`GET one node p50 (${label})`, round(percentile(getNode, 0.5)), 'ms', `${getNode.length} requests, 25 ms apart`);
  f.record(`GET one node p99 (${label})`, round(percentile(getNode, 0.99)), 'ms');
  if (podName) {
    const getPod: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await f.api.request('GET', `/api/v1/namespaces/default/pods/${podName}`);
      if (r.status === 200) getPod.push(r.ms);
      await sleep(25);
    }
    f.record(`GET one pod p99 (${label})`, round(percentile(getPod, 0.99)), 'ms', `p50 ${round(percentile(getPod, 0.5))} ms`);
  }
  const listNodes: number[] = [];
  let nodesBytes = 0;
  for (let i = 0; i < 20; i++) {
    const r = await f.api.request('GET', '/api/v1/nodes');
    if (r.status === 200) listNodes.push(r.ms);
    nodesBytes = r.bytes;
    await sleep(250);
  }
  f.record(`LIST nodes p99 (${label})`, round(percentile(listNodes, 0.99)), 'ms', `p50 ${round(percentile(listNodes, 0.5))} ms, ${listNodes.length} lists of ${round(nodesBytes / 2 ** 20)} MiB`);
  const pages: number[] = [];
  const totals: number[] = [];
  let last: Awaited<ReturnType<typeof listPodsPaged>> | undefined;
  for (let i = 0; i < 10; i++) {
    last = await listPodsPaged(f);
    pages.push(...last.pageMs);
    totals.push(last.totalMs);
    await sleep(250);
  }
  const how = last?.paged
    ? `limit=500 + continue: ${last.pageMs.length} pages per list`
    : (last?.items ?? 0) <= 500
      ? 'one page (no more than 500 pods)'
      : 'the API does not page (limit ignored): every request returned the whole list';
  f.record(`LIST pods, per request p99 (${label})`, round(percentile(pages, 0.99)), 'ms', `${last?.items ?? 0} pods (${round((last?.bytes ?? 0) / 2 ** 20)} MiB); ${how}; whole list p99 ${round(percentile(totals, 0.99))} ms`);
  f.record(`hub RSS after the API reads (${label})`, Math.round((await procStat(f.hub.pid)).rssKiB / 1024), 'MiB', 'right after the last LIST');
}
