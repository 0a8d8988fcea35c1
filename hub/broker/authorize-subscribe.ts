/**
 * aedes hook `authorizeSubscribe`: applies the ACL (acl.ts) to every topic filter in a SUBSCRIBE.
 * A refused filter gets return code 0x80 (failure) in the SUBACK; the connection stays up. Refusals
 * are logged at warn. Each filter is charged as one message to the client's publish quota
 * (publish-quota.ts): a subscribe makes the broker send the topic's retained message again, so
 * subscribing in a loop would otherwise make the hub write without bound. Over the quota the filter
 * is refused; a client that keeps it up is disconnected.
 */
import type { AedesOptions } from 'aedes';
import type { Logger } from '../../protocol/logger.js';
import { checkSubscribe } from './acl.js';
import type { ClientRegistry } from './client-registry.js';
import { QuotaExceededError } from './errors.js';
import { quotaKey, type PublishQuota } from './publish-quota.js';

type AuthorizeSubscribeHandler = NonNullable<AedesOptions['authorizeSubscribe']>;

export interface AuthorizeSubscribeDeps {
  registry: ClientRegistry;
  logger: Logger;
  /** Per-client quotas (the publish quotas); none = no limit. */
  quota?: PublishQuota;
}

export function createAuthorizeSubscribe(deps: AuthorizeSubscribeDeps): AuthorizeSubscribeHandler {
  const { registry, logger, quota } = deps;
  return (client, subscription, callback) => {
    const identity = registry.identityOf(client);
    let reason = identity ? checkSubscribe(identity, subscription.topic) : 'client is not authenticated';
    if (reason === undefined && identity && quota) {
      const verdict = quota.charge(quotaKey(identity), false, 0);
      if (verdict.action === 'disconnect') {
        logger.warn({ clientId: client.id, topic: subscription.topic, reason: verdict.reason }, 'MQTT client disconnected: it kept subscribing over its quota');
        return callback(new QuotaExceededError(client.id, verdict.reason), null);
      }
      if (verdict.action === 'drop') reason = `over its quota: ${verdict.reason}`;
    }
    if (reason === undefined) return callback(null, subscription);
    logger.warn({ clientId: client.id, topic: subscription.topic, reason }, 'MQTT subscribe refused');
    callback(null, null);
  };
}
