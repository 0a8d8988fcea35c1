export { createBroker } from './broker.js';
export type { Broker, BrokerOptions, MessageHandler, PublishMeta, PublishOptions } from './broker.js';
export type { BrokerAuth } from './authenticate.js';
export type { ClientIdentity } from './identity.js';
export { JOIN_USERNAME, NODE_USERNAME_PREFIX, nodeClientId, isValidJoinClientId } from './identity.js';
export * from './errors.js';
