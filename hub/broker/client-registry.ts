/**
 * The identities of the broker's authenticated clients: by connection (for the ACL hooks) and by
 * client id (to answer "is node X connected right now?").
 */
import type { Client } from 'aedes';
import type { ClientIdentity } from './identity.js';

export interface ClientRegistry {
  /** Record the identity of a connection that passed authentication. */
  admit(client: Client, identity: ClientIdentity): void;
  /** Forget a connection that has gone (only if it is still the current one for its client id). */
  release(client: Client): void;
  identityOf(client: Client): ClientIdentity | undefined;
  /** The live, authenticated connection holding this client id, if any. */
  liveClient(clientId: string): Client | undefined;
}

export function createClientRegistry(): ClientRegistry {
  const byConnection = new WeakMap<Client, ClientIdentity>();
  const byClientId = new Map<string, Client>();
  return {
    admit(client, identity) {
      byConnection.set(client, identity);
      // A second connection with the same id takes over (aedes closes the first, MQTT-3.1.4-2).
      byClientId.set(client.id, client);
    },
    release(client) {
      if (byClientId.get(client.id) === client) byClientId.delete(client.id);
    },
    identityOf(client) {
      return byConnection.get(client);
    },
    liveClient(clientId) {
      const client = byClientId.get(clientId);
      return client && !client.closed ? client : undefined;
    },
  };
}
