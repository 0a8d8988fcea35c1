/**
 * A TCP proxy in front of the hub for image tests: counts the bytes the hub sends through it, and can cut
 * every connection once a number of bytes went down (a link that drops halfway through a layer).
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface CountingProxy {
  port: number;
  /** Bytes the hub sent to clients since the last reset. */
  downstream(): number;
  reset(): void;
  /** Cut every connection once this many more bytes went down (once). */
  cutAfter(bytes: number | undefined): void;
  close(): Promise<void>;
}

export async function startCountingProxy(target: { host: string; port: number }): Promise<CountingProxy> {
  let down = 0;
  let cutAt: number | undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined); // a cut connection: the other side is destroyed below
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      down += chunk.length;
      if (cutAt !== undefined && down >= cutAt) {
        cutAt = undefined;
        for (const s of [...sockets]) s.destroy();
        return;
      }
      client.write(chunk);
    });
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    downstream: () => down,
    reset: () => void (down = 0),
    cutAfter: (bytes) => void (cutAt = bytes === undefined ? undefined : down + bytes),
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
