/**
 * What a hub URL means for transport security. mqtts:// (and wss://) are TLS, verified against the
 * hub CA the agent pinned at join; plain mqtt:// (tcp://, ws://) is allowed only to this machine
 * (loopback), where nothing crosses a network.
 */
import { isLoopbackHost } from '../../protocol/join-token.js';
import { InsecureHubError, InvalidOptionError } from '../errors.js';

export const DEFAULT_MQTTS_PORT = 8883;
export const DEFAULT_MQTT_PORT = 1883;

export interface HubAddress {
  tls: boolean;
  host: string;
  port: number;
  loopback: boolean;
}

export function parseHubAddress(hubUrl: string): HubAddress {
  let url: URL;
  try {
    url = new URL(hubUrl);
  } catch (err) {
    throw new InvalidOptionError(`the hub address "${hubUrl}" is not a URL such as mqtts://hub.local:8883 (${(err as Error).message})`);
  }
  const tls = url.protocol === 'mqtts:' || url.protocol === 'wss:' || url.protocol === 'ssl:';
  const plain = url.protocol === 'mqtt:' || url.protocol === 'tcp:' || url.protocol === 'ws:';
  if (!tls && !plain) throw new InvalidOptionError(`the hub address "${hubUrl}" must be mqtts://, mqtt://, wss:// or ws://`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : url.protocol === 'wss:' ? 443 : url.protocol === 'ws:' ? 80 : tls ? DEFAULT_MQTTS_PORT : DEFAULT_MQTT_PORT;
  return { tls, host, port, loopback: isLoopbackHost(host) };
}

/** Throws InsecureHubError for plain MQTT to another machine. */
export function assertTransportAllowed(hubUrl: string, address: HubAddress = parseHubAddress(hubUrl)): HubAddress {
  if (!address.tls && !address.loopback) {
    throw new InsecureHubError(
      `refusing plain MQTT to ${hubUrl}: credentials would cross the network unencrypted. Use the hub's mqtts:// address (port 8883 by default)`,
    );
  }
  return address;
}
