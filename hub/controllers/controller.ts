import type { Logger } from '../../protocol/index.js';
import type { Store } from '../store/store.js';
import type { EventRecorder } from '../events/recorder.js';
import type { ObjectCache } from '../cache/object-cache.js';

/**
 * What every controller takes and gives. One file per controller (deployment.ts, daemonset.ts,
 * node-lifecycle/controller.ts, ...), each exporting `createXController(opts: ControllerOptions): Promise<Controller>`.
 */
export interface ControllerOptions {
  store: Store;
  /** The shared informer cache (started by the caller): what controllers list and watch. Writes go to the store. */
  cache: ObjectCache;
  logger: Logger;
  clock: () => number;
  events: EventRecorder;
}

export interface Controller {
  /** List, watch and reconcile; resolves once the watches are established. */
  start(): Promise<void>;
  /** Close the watches and wait for the reconcile in progress. Idempotent. */
  stop(): Promise<void>;
}
