/**
 * Cluster DNS and a tiny upstream resolver in one process, for dns-netns.test.ts to start inside the
 * node's network namespace (`node --import tsx dns-netns-server.ts '<json>'`). Prints `ready`; each
 * JSON line on stdin is a new network set (`updated` once served); SIGTERM stops both.
 */
import { createInterface } from 'node:readline';
import { createClusterDns } from '../../../agent/network/dns-server.js';
import type { NetworkSetMessage } from '../../../protocol/messages.js';
import { silentLogger } from '../../../protocol/logger.js';
import { startUpstream } from './dns-client.js';

interface Config {
  listenAddress: string;
  upstreamAddress: string;
  upstreamRecords: Record<string, string>;
  set: NetworkSetMessage;
}

const config = JSON.parse(process.argv[2]!) as Config;
const upstream = await startUpstream(config.upstreamAddress, config.upstreamRecords);
const dns = createClusterDns({ logger: silentLogger(), listenAddress: config.listenAddress, port: 53, upstream: [`${upstream.address}:${upstream.port}`] });
dns.update(config.set);
await dns.start();
console.log('ready');
createInterface({ input: process.stdin }).on('line', (line) => {
  dns.update(JSON.parse(line) as NetworkSetMessage);
  console.log('updated');
});
process.on('SIGTERM', () => {
  void Promise.all([dns.stop(), upstream.close()]).then(() => process.exit(0));
});
