/**
 * No offline queue. aedes' in-memory persistence stores every QoS 1 message for every client with a
 * persistent session (clean: false) that is not connected, until it comes back: a node powered off
 * for a month (or a node that subscribes, leaves and never returns) would have the hub hold every
 * desired and network set published for it meanwhile. The protocol needs none of them: the hub's
 * messages to a node are retained and whole (the agent subscribes again on every connect and gets
 * the latest), and commands are interactive (they time out; the agent subscribes to them at QoS 0 so
 * that a stale one is never replayed). So a message is queued only for clients connected now, where
 * aedes tracks it until it is acknowledged.
 */

/** The subscription entries aedes hands its persistence when a QoS 1 message is published. */
interface QueuedSubscription {
  clientId: string;
}

/** The part of aedes' persistence this replaces a method of. */
export interface OutgoingQueuePersistence {
  outgoingEnqueueCombi(subs: QueuedSubscription[], packet: unknown, cb?: (err?: Error | null) => void): unknown;
}

/** Make `persistence` queue messages only for the clients `isConnected` says are connected. */
export function dropOfflineQueue(persistence: OutgoingQueuePersistence, isConnected: (clientId: string) => boolean): void {
  const enqueue = persistence.outgoingEnqueueCombi.bind(persistence);
  persistence.outgoingEnqueueCombi = (subs, packet, cb) => enqueue(subs.filter((s) => isConnected(s.clientId)), packet, cb);
}
