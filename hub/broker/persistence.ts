/**
 * The broker's persistence: aedes' own memory persistence (aedes-persistence 11, what aedes makes when
 * given none) with its retained messages kept in a RetainedIndex (retained-index.ts) instead of one Map
 * scanned on every SUBSCRIBE. Everything else (subscriptions, QoS 1/2 in flight, wills) is aedes'.
 * Semantics kept: an empty payload deletes the topic's retained message, a stored packet is a shallow
 * copy, and a filter gets what qlobber matches, as before.
 */
import { Readable } from 'node:stream';
import MemoryPersistence from 'aedes-persistence/asyncPersistence.js';
import { RetainedIndex } from './retained-index.js';

interface StoredRetained {
  topic: string;
  payload: Buffer | string;
}

function* each<P>(patterns: readonly string[], match: (pattern: string) => Iterable<P>): Generator<P> {
  for (const pattern of patterns) yield* match(pattern);
}

export class IndexedMemoryPersistence extends MemoryPersistence {
  readonly retained = new RetainedIndex<StoredRetained>();

  override async storeRetained(pkt: StoredRetained): Promise<void> {
    const packet = { ...pkt };
    if (packet.payload.length === 0) this.retained.delete(packet.topic);
    else this.retained.set(packet);
  }

  override createRetainedStream(pattern: string): Readable {
    return Readable.from(this.retained.match(pattern));
  }

  override createRetainedStreamCombi(patterns: string[]): Readable {
    return Readable.from(each(patterns, (p) => this.retained.match(p)));
  }
}

/** A fresh persistence for one broker. */
export function createBrokerPersistence(): IndexedMemoryPersistence {
  return new IndexedMemoryPersistence();
}
