/**
 * One operation at a time per container: harvesting a stopped task's exit deletes the task, which must
 * happen once, and a stop must not race the start or removal of the same container.
 */
export interface ContainerLocks {
  /** Run `fn` once every earlier operation on `id` has settled; its result or error is the caller's. */
  run<T>(id: string, fn: () => Promise<T>): Promise<T>;
}

export function createContainerLocks(): ContainerLocks {
  const locks = new Map<string, Promise<unknown>>();
  return {
    async run(id, fn) {
      const prev = locks.get(id) ?? Promise.resolve();
      const next = prev.then(fn, fn);
      const settled = next.then(
        () => undefined,
        () => undefined,
      );
      locks.set(id, settled);
      try {
        return await next;
      } finally {
        if (locks.get(id) === settled) locks.delete(id);
      }
    },
  };
}
