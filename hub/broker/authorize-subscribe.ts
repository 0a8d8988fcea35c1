/**
 * aedes hook `authorizeSubscribe`: applies the ACL (acl.ts) to every topic filter in a SUBSCRIBE.
 * A refused filter gets return code 0x80 (failure) in the SUBACK; the connection stays up. Refusals
 * are logged at warn.
 */
import type { AedesOptions } from 'aedes';
import type { Logger } from '../../protocol/logger.js';
import { checkSubscribe } from './acl.js';
import type { ClientRegistry } from './client-registry.js';

type AuthorizeSubscribeHandler = NonNullable<AedesOptions['authorizeSubscribe']>;

export interface AuthorizeSubscribeDeps {
  registry: ClientRegistry;
  logger: Logger;
}

export function createAuthorizeSubscribe(deps: AuthorizeSubscribeDeps): AuthorizeSubscribeHandler {
  const { registry, logger } = deps;
  return (client, subscription, callback) => {
    const identity = registry.identityOf(client);
    const reason = identity ? checkSubscribe(identity, subscription.topic) : 'client is not authenticated';
    if (reason === undefined) return callback(null, subscription);
    logger.warn({ clientId: client.id, topic: subscription.topic, reason }, 'MQTT subscribe refused');
    callback(null, null);
  };
}
