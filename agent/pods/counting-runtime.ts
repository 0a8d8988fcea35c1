/**
 * A view of a ContainerRuntime that counts the calls changing it (pull, create, start, stop, remove).
 * The reconciler compares the count around a pod worker's run: work that changed nothing must not start
 * another pass, or an agent with pods would run the runtime's CLI back to back forever.
 */
import type { ContainerRuntime } from '../../runtime-adapters/runtime.js';

export interface CountingRuntime {
  runtime: ContainerRuntime;
  /** Changing calls made so far. */
  mutations(): number;
}

export function countMutations(base: ContainerRuntime): CountingRuntime {
  let mutations = 0;
  const counted =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      mutations++;
      return call(...args);
    };
  // everything else (list, inspect, watch, name, ...) is the base's, through the prototype
  const runtime: ContainerRuntime = Object.assign(Object.create(base) as ContainerRuntime, {
    ensureImage: counted(base.ensureImage.bind(base)),
    create: counted(base.create.bind(base)),
    start: counted(base.start.bind(base)),
    stop: counted(base.stop.bind(base)),
    remove: counted(base.remove.bind(base)),
  });
  return { runtime, mutations: () => mutations };
}
