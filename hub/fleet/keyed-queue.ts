/**
 * Runs tasks one at a time per key (e.g. per node), in arrival order, so that two messages from one
 * node are applied in the order they came. Different keys run concurrently.
 */
export interface KeyedQueue {
  run(key: string, task: () => Promise<void>): Promise<void>;
  /** Resolves when every task queued so far has finished. */
  idle(): Promise<void>;
}

export function createKeyedQueue(onError: (key: string, err: unknown) => void): KeyedQueue {
  const tails = new Map<string, Promise<void>>();
  return {
    run(key, task) {
      const previous = tails.get(key) ?? Promise.resolve();
      const next = previous.then(task).catch((err: unknown) => onError(key, err));
      tails.set(key, next);
      void next.finally(() => {
        if (tails.get(key) === next) tails.delete(key);
      });
      return next;
    },
    async idle() {
      while (tails.size > 0) await Promise.all([...tails.values()]);
    },
  };
}

/** Like KeyedQueue, but each call gets its task's own result or error back. */
export interface KeyedSerializer {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

export function createKeyedSerializer(): KeyedSerializer {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      // the next task waits for this one to settle, whatever its outcome; this one's own caller sees it
      const result = previous.then(task, task);
      const settled = result.then(
        () => undefined,
        () => undefined,
      );
      tails.set(key, settled);
      void settled.then(() => {
        if (tails.get(key) === settled) tails.delete(key);
      });
      return result;
    },
  };
}
