/**
 * Types for the two packages under aedes that hub/broker/persistence.ts and retained-index.ts use
 * directly and that ship none for what is used: aedes-persistence's memory persistence class (its
 * types live under types/, which TypeScript does not find for the subpath) and qlobber's matcher.
 */
declare module 'aedes-persistence/asyncPersistence.js' {
  import type { Readable } from 'node:stream';

  /** aedes' in-memory persistence (aedes-persistence 11), the one aedes makes when given none. */
  class MemoryPersistence {
    constructor(opts?: Record<string, unknown>);
    setup(broker: unknown): Promise<void>;
    storeRetained(packet: { topic: string; payload: Buffer | string }): Promise<void>;
    createRetainedStream(pattern: string): Readable;
    createRetainedStreamCombi(patterns: string[]): Readable;
    destroy(): Promise<void>;
  }
  export default MemoryPersistence;
}

declare module 'qlobber' {
  interface QlobberOptions {
    separator?: string;
    wildcard_one?: string;
    wildcard_some?: string;
  }
  /** Topic matcher that only says whether a topic matches one of the filters added. */
  interface QlobberTrue {
    add(filter: string): this;
    test(topic: string): boolean;
  }
  const qlobber: { QlobberTrue: new (options?: QlobberOptions) => QlobberTrue };
  export default qlobber;
}
