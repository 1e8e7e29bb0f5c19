/**
 * Work per key, one task at a time: the daemon handles each backend device in order (a
 * device's start, close and release never interleave) while different devices proceed side
 * by side. A task that throws is reported and does not stop the queue.
 *
 * @module
 */

/** Serialised tasks per key. */
export interface TaskQueue {
  /** Runs `task` after the key's earlier tasks. */
  run(key: string, task: () => Promise<void>): Promise<void>;
  /**
   * Like `run`, but when a task for `key` queued with `coalesce` is still waiting, that one
   * will do (watch events that only say "look again").
   */
  coalesce(key: string, task: () => Promise<void>): Promise<void>;
  /** Settles when every task queued so far has ended. */
  idle(): Promise<void>;
}

/** Makes a queue; `onError` hears about tasks that threw. */
export function createTaskQueue(onError: (key: string, error: unknown) => void): TaskQueue {
  const tails = new Map<string, Promise<void>>();
  const waiting = new Map<string, Promise<void>>();
  const enqueue = (key: string, task: () => Promise<void>, waitingEntry: boolean) => {
    const previous = tails.get(key) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (waitingEntry && waiting.get(key) === next) waiting.delete(key);
      try {
        await task();
      } catch (error) {
        onError(key, error);
      }
    });
    tails.set(key, next);
    if (waitingEntry) waiting.set(key, next);
    next.then(() => {
      if (tails.get(key) === next) tails.delete(key);
    });
    return next;
  };
  return {
    run: (key, task) => enqueue(key, task, false),
    coalesce: (key, task) => waiting.get(key) ?? enqueue(key, task, true),
    async idle() {
      while (tails.size > 0) await Promise.all([...tails.values()]);
    },
  };
}
