import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../hub/store/store.js';
import { openWatch, pod, startTestApi, type TestApi, type WatchLine } from './support.js';

async function waitUntil(what: string, fn: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('API watch streams', () => {
  let api: TestApi;
  let openStoreWatches = 0;
  let cacheWatches = 0;
  const streamWatches = () => openStoreWatches - cacheWatches;
  beforeAll(async () => {
    // Count the store watches the API holds open, to see that a disconnect closes them.
    const counted = (w: { close(): void }) => {
      openStoreWatches++;
      let closed = false;
      return {
        close() {
          if (!closed) openStoreWatches--;
          closed = true;
          w.close();
        },
      };
    };
    const wrap = (store: Store): Store =>
      Object.assign(Object.create(store) as Store, {
        watch: (...args: Parameters<Store['watch']>) => counted(store.watch(...args)),
        watchJson: (...args: Parameters<Store['watchJson']>) => counted(store.watchJson(...args)),
      });
    api = await startTestApi({ historyLimit: 20, wrapStore: wrap });
    // the API's informer cache holds one store watch for as long as it runs: count the others
    cacheWatches = openStoreWatches;
  });
  afterAll(async () => {
    await api.close();
  });

  it('streams ADDED, MODIFIED and DELETED events and closes the store watch on disconnect', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('existing') });
    const w = await openWatch(api, '/api/v1/namespaces/default/pods?watch=1');
    expect(w.res.status).toBe(200);
    expect(w.res.headers.get('content-type')).toContain('application/json');
    const [initial] = await w.next(1);
    expect(initial).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'existing' } } });

    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('w1') });
    await api.call('PATCH', '/api/v1/namespaces/default/pods/w1', { body: { metadata: { labels: { x: 'y' } } }, contentType: 'application/merge-patch+json' });
    await api.call('DELETE', '/api/v1/namespaces/default/pods/w1');
    const events = await w.next(3);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(events.every((e) => e.object.metadata.name === 'w1')).toBe(true);
    expect(events[1]!.object.metadata.labels).toEqual({ x: 'y' });

    expect(streamWatches()).toBe(1);
    w.close();
    await waitUntil('the store watch to close', () => streamWatches() === 0);
  });

  it('starts after resourceVersion, filters by selector, and honours timeoutSeconds', async () => {
    const list = await api.call('GET', '/api/v1/namespaces/default/pods');
    const rv = list.body.metadata.resourceVersion;
    const w = await openWatch(api, `/api/v1/namespaces/default/pods?watch=true&resourceVersion=${rv}&labelSelector=app%3Dweb&timeoutSeconds=2`);
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('other', { labels: { app: 'db' } }) });
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('web1', { labels: { app: 'web' } }) });
    await api.call('PATCH', '/api/v1/namespaces/default/pods/web1', { body: { metadata: { labels: { app: 'gone' } } }, contentType: 'application/merge-patch+json' });
    const events = await w.next(2);
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'web1'],
      ['DELETED', 'web1'], // stopped matching the selector
    ]);
    await waitUntil('the stream to end after timeoutSeconds', () => w.ended(), 6000);
    await waitUntil('the store watch to close', () => streamWatches() === 0);
  });

  it('sends an ERROR event with a 410 Expired Status for a compacted resourceVersion', async () => {
    for (let i = 0; i < 30; i++) await api.call('PATCH', '/api/v1/namespaces/default/pods/other', { body: { metadata: { annotations: { i: String(i) } } }, contentType: 'application/merge-patch+json' });
    const w = await openWatch(api, '/api/v1/namespaces/default/pods?watch=1&resourceVersion=1');
    const [event] = await w.next(1);
    expect(event!.type).toBe('ERROR');
    expect(event!.object).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 });
    await waitUntil('the stream to end', () => w.ended());
  });

  it('watches one object through the legacy /watch/ path', async () => {
    const w = await openWatch(api, '/api/v1/watch/namespaces/default/pods/web1');
    const [initial] = await w.next(1);
    expect(initial).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'web1' } } });
    await api.call('PATCH', '/api/v1/namespaces/default/pods/other', { body: { metadata: { labels: { z: '1' } } }, contentType: 'application/merge-patch+json' });
    await api.call('PATCH', '/api/v1/namespaces/default/pods/web1', { body: { metadata: { labels: { z: '1' } } }, contentType: 'application/merge-patch+json' });
    const [mod] = await w.next(1);
    expect(mod).toMatchObject({ type: 'MODIFIED', object: { metadata: { name: 'web1', labels: { z: '1' } } } });
    w.close();
  });

  it('asked for Tables (kubectl get -w), each event is a one-row Table with the columns; errors stay Status', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    const w = await openWatch(api, '/api/v1/namespaces/default/pods?watch=1&labelSelector=app%3Dgone', api.tokens.admin, accept);
    const [initial] = await w.next(1);
    expect(initial!.type).toBe('ADDED');
    expect(initial!.object).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    expect(initial!.object.columnDefinitions.map((c: { name: string }) => c.name).slice(0, 3)).toEqual(['Name', 'Ready', 'Status']);
    expect(initial!.object.rows).toHaveLength(1);
    expect(initial!.object.rows[0].cells[0]).toBe('web1');
    expect(initial!.object.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'web1' } });
    await api.call('PATCH', '/api/v1/namespaces/default/pods/web1', { body: { metadata: { labels: { app: 'moved' } } }, contentType: 'application/merge-patch+json' });
    const [gone] = await w.next(1);
    expect(gone!.type).toBe('DELETED');
    expect(gone!.object.rows[0].cells[0]).toBe('web1');
    w.close();
    const old = await openWatch(api, '/api/v1/namespaces/default/pods?watch=1&resourceVersion=1', api.tokens.admin, accept);
    const [error] = await old.next(1);
    expect(error).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410 } });
  });

  it('a view token may watch; the stream ends when the server closes', async () => {
    const w = await openWatch(api, '/api/v1/nodes?watch=1', api.tokens.view);
    expect(w.res.status).toBe(200);
    await waitUntil('store watch open', () => streamWatches() >= 1);
    await api.server.close();
    await waitUntil('the stream to end', () => w.ended());
    // the stream's watch and the cache's: every store watch is closed with the server
    expect(openStoreWatches).toBe(0);
  });
});

describe('API watch streams: a client that stops reading', () => {
  const LIMIT = 64 * 1024;
  let api: TestApi;
  let open = 0;
  beforeAll(async () => {
    const wrap = (store: Store): Store =>
      Object.assign(Object.create(store) as Store, {
        watchJson: (...args: Parameters<Store['watchJson']>) => {
          const w = store.watchJson(...args);
          open++;
          let closed = false;
          return {
            close() {
              if (!closed) open--;
              closed = true;
              w.close();
            },
          };
        },
      });
    api = await startTestApi({ wrapStore: wrap, server: { maxWatchBufferBytes: LIMIT } });
  });
  afterAll(async () => {
    await api.close();
  });

  it('is cut off with a 410 Expired ERROR event once it is the limit behind, and its store watch closes', async () => {
    const { port } = new URL(api.url);
    const socket = connect({ host: '127.0.0.1', port: Number(port) });
    await once(socket, 'connect');
    socket.write(`GET /api/v1/namespaces/default/pods?watch=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${api.tokens.view}\r\n\r\n`);
    socket.pause(); // and never read: what the hub writes piles up in the kernel, then in the hub
    await waitUntil('the stream to watch the store', () => open === 1);

    // 20 KB objects until the hub gives up on the reader (kernel buffers on loopback take a few MB first)
    const filler = 'x'.repeat(20_000);
    let written = 0;
    while (open === 1 && written < 3000) {
      await api.call('POST', '/api/v1/namespaces/default/pods', { body: { ...pod(`p${written}`), metadata: { name: `p${written}`, annotations: { filler } } } });
      written++;
    }
    expect(open).toBe(0);

    // Reading now: the events the socket held, then the ERROR and the end of the stream.
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.resume();
    await once(socket, 'close');
    const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter((l) => l.startsWith('{'));
    const last = JSON.parse(lines.at(-1)!) as WatchLine;
    expect(last.type).toBe('ERROR');
    expect(last.object).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    expect(last.object.message).toContain(`limit ${LIMIT}`);
    // what it was sent before that is whole events, in order
    expect(lines.length).toBeGreaterThan(1);
    expect((JSON.parse(lines[0]!) as WatchLine).object.metadata.name).toBe('p0');
  });
});
