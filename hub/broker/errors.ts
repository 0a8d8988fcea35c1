import { DroverError } from '../../protocol/errors.js';

export const BROKER_ERROR_CODES = {
  connectRefused: 'EMQTTCONNECTREFUSED',
  publishDenied: 'EMQTTPUBLISHDENIED',
  listen: 'EMQTTLISTEN',
  closed: 'EMQTTCLOSED',
  publish: 'EMQTTPUBLISH',
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
    super(BROKER_ERROR_CODES.connectRefused, reason, options);
    this.returnCode = returnCode;
  }
}

/** A PUBLISH the ACL refuses. aedes closes the client's connection (MQTT 3.1.1 has no negative ack). */
export class PublishDeniedError extends DroverError {
  constructor(readonly clientId: string, readonly topic: string, reason: string) {
    super(BROKER_ERROR_CODES.publishDenied, `client ${clientId} may not publish to ${topic}: ${reason}`);
  }
}

export class BrokerListenError extends DroverError {
  constructor(host: string, port: number, options?: { cause?: unknown }) {
    super(BROKER_ERROR_CODES.listen, `MQTT broker could not listen on ${host}:${port}`, options);
  }
}

export class BrokerClosedError extends DroverError {
  constructor() {
    super(BROKER_ERROR_CODES.closed, 'MQTT broker is closed');
  }
}

/** An in-process publish the broker could not deliver. */
export class BrokerPublishError extends DroverError {
  constructor(readonly topic: string, options?: { cause?: unknown }) {
    super(BROKER_ERROR_CODES.publish, `could not publish to ${topic}`, options);
  }
}
