/**
 * What a client's connection is: TLS or plain, from this machine or not. The connect-time policy
 * uses it (a join token without the CA hash is accepted only over plain MQTT on loopback).
 */
import type { Client } from 'aedes';
import { isLoopbackHost } from '../../protocol/join-token.js';

export interface ClientTransport {
  secure: boolean;
  loopback: boolean;
}

export function transportOf(client: Client): ClientTransport {
  const conn = client.conn as unknown as { encrypted?: boolean; remoteAddress?: string } | undefined;
  const address = conn?.remoteAddress;
  return { secure: conn?.encrypted === true, loopback: address !== undefined && isLoopbackHost(address) };
}
