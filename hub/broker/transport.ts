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

type ClientConn = { encrypted?: boolean; remoteAddress?: string } | undefined;

/** The client's remote IP address, when its connection has one. */
export function remoteAddressOf(client: Client): string | undefined {
  return (client.conn as unknown as ClientConn)?.remoteAddress;
}

export function transportOf(client: Client): ClientTransport {
  const conn = client.conn as unknown as ClientConn;
  const address = conn?.remoteAddress;
  return { secure: conn?.encrypted === true, loopback: address !== undefined && isLoopbackHost(address) };
}
