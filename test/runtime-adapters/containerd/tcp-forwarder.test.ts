import { createServer, connect, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/logger.js';
import { startTcpForwarder } from '../../../runtime-adapters/containerd/tcp-forwarder.js';

async function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(text));
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

describe('startTcpForwarder', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('forwards both ways while open and refuses connections once closed', async () => {
    const echo = createServer((s) => s.on('data', (d) => s.end(`echo:${d.toString()}`)));
    servers.push(echo);
    const target = await listen(echo);
    const probe = createServer();
    const hostPort = await listen(probe);
    await new Promise((r) => probe.close(r));
    const fwd = await startTcpForwarder({ hostPort, targetPort: target, hostIP: '127.0.0.1', logger: silentLogger() });
    expect(await roundTrip(hostPort, 'hi')).toBe('echo:hi');
    await fwd.close();
    await expect(roundTrip(hostPort, 'again')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects when the host port is taken', async () => {
    const busy = createServer();
    servers.push(busy);
    const port = await listen(busy);
    await expect(startTcpForwarder({ hostPort: port, targetPort: 1, hostIP: '127.0.0.1', logger: silentLogger() })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});
