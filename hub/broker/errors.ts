import { DroverError } from '../../protocol/errors.js';

/** Every code this area's errors carry, with what it means (listed in its README.md too). */
export const BROKER_ERROR_CODES = {
  EBROKER_CONNECT_REFUSED: 'a CONNECT the broker refuses (bad credentials, client id of another node, a will or session it may not have)',
  EBROKER_PUBLISH_DENIED: 'a PUBLISH the topic ACL refuses; the client is disconnected',
  EBROKER_LISTEN: 'the broker could not listen on its address',
  EBROKER_CLOSED: 'the broker is closed',
  EBROKER_PUBLISH: 'an in-process publish the broker could not deliver',
  EBROKER_QUOTA_EXCEEDED: "a client kept publishing over its quota (messages or bytes a second); it is disconnected",
  EBROKER_SLOW_CLIENT: 'a client that does not read what the broker sends it (too much waiting in its socket); it is disconnected',
} as const;

/** MQTT CONNACK return codes aedes understands (MQTT 3.1.1 section 3.2.2.3). */
export const CONNACK = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;
export type ConnackCode = (typeof CONNACK)[keyof typeof CONNACK];

/**
 * A CONNECT the broker refuses. aedes reads `returnCode` and answers the client with that CONNACK code
 * before closing the connection.
 */
export class ConnectRefusedError extends DroverError {
  readonly returnCode: ConnackCode;
  constructor(reason: string, returnCode: ConnackCode = CONNACK.notAuthorized, options?: { cause?: unknown }) {
    super('EBROKER_CONNECT_REFUSED', reason, options);
    this.returnCode = returnCode;
  }
}

/** A PUBLISH the ACL refuses. aedes closes the client's connection (MQTT 3.1.1 has no negative ack). */
export class PublishDeniedError extends DroverError {
  constructor(readonly clientId: string, readonly topic: string, reason: string) {
    super('EBROKER_PUBLISH_DENIED', `client ${clientId} may not publish to ${topic}: ${reason}`);
  }
}

export class BrokerListenError extends DroverError {
  constructor(host: string, port: number, options?: { cause?: unknown }) {
    super('EBROKER_LISTEN', `MQTT broker could not listen on ${host}:${port}`, options);
  }
}

export class BrokerClosedError extends DroverError {
  constructor() {
    super('EBROKER_CLOSED', 'MQTT broker is closed');
  }
}

/** An in-process publish the broker could not deliver. */
export class BrokerPublishError extends DroverError {
  constructor(readonly topic: string, options?: { cause?: unknown }) {
    super('EBROKER_PUBLISH', `could not publish to ${topic}`, options);
  }
}

/** A client that kept publishing over its quota (publish-quota.ts): aedes closes its connection. */
export class QuotaExceededError extends DroverError {
  constructor(readonly clientId: string, reason: string) {
    super('EBROKER_QUOTA_EXCEEDED', `client ${clientId} disconnected: ${reason}`);
  }
}

/** A client that does not read what it is sent (outgoing-guard.ts): its socket is destroyed with this. */
export class SlowClientError extends DroverError {
  constructor(readonly clientId: string, reason: string) {
    super('EBROKER_SLOW_CLIENT', `client ${clientId} disconnected: ${reason}`);
  }
}
