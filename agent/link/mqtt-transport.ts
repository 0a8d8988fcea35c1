/**
 * MQTT clients for the link to the hub. mqtt.js' own `connect()` loads every transport it knows at the
 * first connection (ws and its WebSocket stack, socks with ip-address and smart-buffer): about 30 modules
 * and 1-2 MiB that an agent on mqtt:// or mqtts:// never uses. For those (and tcp://, ssl://) the client
 * is mqtt.js' MqttClient with stream builders that do what its tcp and tls builders do, minus the SOCKS
 * proxy; ws:// and wss:// still go through mqtt.js' `connect()`, which loads the WebSocket stack then.
 *
 * `writeCache: false`: by default mqtt-packet pre-builds a 2-byte Buffer for each of the 65,536 packet
 * ids at the first packet written, about 6 MiB of heap the agent would carry for its lifetime; without
 * the cache it writes each id into a fresh 2-byte buffer (a few packets a second here).
 */
import { createRequire } from 'node:module';
import { createConnection, isIP } from 'node:net';
import mqtt, { MqttClient, type IClientOptions, type IStream, type StreamBuilder } from 'mqtt';
import { parseHubAddress, type HubAddress } from './hub-address.js';

const require = createRequire(import.meta.url);

/** The options the agent passes: what mqtt.js takes, minus what the address itself says. */
export type MqttConnectOptions = Omit<IClientOptions, 'protocol' | 'host' | 'hostname' | 'port' | 'servers' | 'writeCache'>;

/** What mqtt.js' tcp builder does, without its SOCKS proxy path. */
function tcpStream(address: HubAddress): StreamBuilder {
  return () => createConnection({ host: address.host, port: address.port }) as IStream;
}

/** What mqtt.js' tls builder does (SNI for host names, verification on), without its SOCKS proxy path. */
function tlsStream(address: HubAddress, opts: MqttConnectOptions): StreamBuilder {
  // node:tls is loaded by the first mqtts connection: an agent on plain loopback MQTT never needs it
  const { connect: tlsConnect } = require('node:tls') as typeof import('node:tls');
  return (client) => {
    const rejectUnauthorized = opts.rejectUnauthorized !== false;
    const connection = tlsConnect({
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
      ...(opts.key !== undefined ? { key: opts.key } : {}),
      host: address.host,
      port: address.port,
      ...(isIP(address.host) === 0 ? { servername: opts.servername ?? address.host } : opts.servername ? { servername: opts.servername } : {}),
      rejectUnauthorized,
    });
    const onError = (err: Error): void => {
      if (rejectUnauthorized) client.emit('error', err);
      connection.end();
    };
    connection.on('secureConnect', () => {
      if (rejectUnauthorized && !connection.authorized) connection.emit('error', new Error('TLS not authorized'));
      else connection.removeListener('error', onError);
    });
    connection.on('error', onError);
    return connection as IStream;
  };
}

/** mqtt.connect(url, opts), without loading the transports an mqtt:// or mqtts:// address does not use. */
export function connectMqtt(url: string, opts: MqttConnectOptions): MqttClient {
  if (/^wss?:/i.test(url)) return mqtt.connect(url, { ...opts, writeCache: false });
  const address = parseHubAddress(url);
  const builder = address.tls ? tlsStream(address, opts) : tcpStream(address);
  const client = new MqttClient(builder, {
    ...opts,
    protocol: address.tls ? 'mqtts' : 'mqtt',
    host: address.host,
    hostname: address.host,
    port: address.port,
    writeCache: false,
  });
  client.on('error', () => {}); // as mqtt.connect: an error without a listener must not throw
  return client;
}

/** Like mqtt.connectAsync(url, opts): resolves on CONNACK (or a clean end), rejects on the first error. */
export function connectMqttAsync(url: string, opts: MqttConnectOptions): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = connectMqtt(url, opts);
    const settle = (): void => {
      client.off('connect', onConnect);
      client.off('end', onEnd);
      client.off('error', onError);
    };
    const onConnect = (): void => {
      settle();
      resolve(client);
    };
    const onEnd = (): void => {
      settle();
      resolve(client);
    };
    const onError = (err: Error): void => {
      settle();
      client.end();
      reject(err);
    };
    client.on('connect', onConnect);
    client.on('end', onEnd);
    client.on('error', onError);
  });
}
