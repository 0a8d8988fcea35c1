/** tcpSocket probe: success when a TCP connection to host:port opens within the timeout. */
import { connect } from 'node:net';
import { failure, settleOnce, success, type ProbeOutcome } from './outcome.js';

export interface TcpProbeTarget {
  host: string;
  port: number;
  timeoutMs: number;
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function runTcpSocketProbe(target: TcpProbeTarget): Promise<ProbeOutcome> {
  const { host, port, timeoutMs } = target;
  const where = hostPort(host, port);
  return settleOnce(
    timeoutMs,
    () => failure(`dial tcp ${where}: i/o timeout`),
    (finish) => {
      const socket = connect({ host, port });
      socket.once('connect', () => finish(success()));
      socket.once('error', (err) => finish(failure(`dial tcp ${where}: ${err.message}`)));
      return socket;
    },
  );
}
