export { createBroker } from './broker.js';
export { TLS_HANDSHAKE_TIMEOUT_MS } from './broker.js';
export type { Broker, BrokerOptions, BrokerTlsOptions, MessageHandler, PublishMeta, PublishOptions } from './broker.js';
export { transportOf, type ClientTransport } from './transport.js';
export type { BrokerAuth } from './authenticate.js';
export type { ClientIdentity } from './identity.js';
export { JOIN_USERNAME, NODE_USERNAME_PREFIX, nodeClientId, isValidJoinClientId } from './identity.js';
export * from './errors.js';
