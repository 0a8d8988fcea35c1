/**
 * aedes hook `authorizePublish`: applies the ACL (acl.ts) and the payload size limit to every PUBLISH
 * from a client, last wills included. A refusal closes the client's connection (MQTT 3.1.1 has no
 * negative acknowledgement) and is logged at warn. The hub's own in-process publishes do not pass here.
 */
import type { AedesOptions } from 'aedes';
import type { Logger } from '../../protocol/logger.js';
import { checkPublish } from './acl.js';
import type { ClientRegistry } from './client-registry.js';
import { PublishDeniedError } from './errors.js';

type AuthorizePublishHandler = NonNullable<AedesOptions['authorizePublish']>;

export interface AuthorizePublishDeps {
  registry: ClientRegistry;
  maxPayloadBytes: number;
  logger: Logger;
}

export function createAuthorizePublish(deps: AuthorizePublishDeps): AuthorizePublishHandler {
  const { registry, maxPayloadBytes, logger } = deps;
  return (client, packet, callback) => {
    const clientId = client?.id ?? '(none)';
    const identity = client ? registry.identityOf(client) : undefined;
    const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
    let reason: string | undefined;
    if (!identity) reason = 'client is not authenticated';
    else if (size > maxPayloadBytes) reason = `payload of ${size} bytes exceeds the limit of ${maxPayloadBytes}`;
    else reason = checkPublish(identity, packet.topic);
    if (reason === undefined) return callback(null);
    logger.warn({ clientId, topic: packet.topic, bytes: size, reason }, 'MQTT publish refused');
    callback(new PublishDeniedError(clientId, packet.topic, reason));
  };
}
