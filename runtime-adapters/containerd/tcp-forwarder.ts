import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Logger } from '../../protocol/logger.js';

export interface TcpForwarder {
  readonly hostPort: number;
  close(): Promise<void>;
}

/**
 * Forward TCP connections from hostIP:hostPort to 127.0.0.1:targetPort, for host-network containers whose
 * hostPort differs from their containerPort. Resolves once listening; rejects if the port cannot be bound.
 */
export async function startTcpForwarder(opts: {
  hostPort: number;
  targetPort: number;
  hostIP?: string;
  logger: Logger;
}): Promise<TcpForwarder> {
  const log = opts.logger.child({ hostPort: opts.hostPort, targetPort: opts.targetPort });
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  };
  // allowHalfOpen on both legs: a client that sends its request and then half-closes still gets the answer.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    track(client);
    const upstream = connect({ port: opts.targetPort, host: '127.0.0.1', allowHalfOpen: true });
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', (err) => {
      log.debug({ err }, 'forwarded client connection failed');
      upstream.destroy();
    });
    upstream.on('error', (err) => {
      log.debug({ err }, 'forwarder could not reach the container port');
      client.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.hostPort, opts.hostIP ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.warn({ err }, 'port forwarder error'));
  log.debug('port forwarder listening');
  return {
    hostPort: opts.hostPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
