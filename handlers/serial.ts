/**
 * Per-key queues on this node. FerretDB updates are not atomic, so work that
 * reads, derives and writes one thing (a case's counts) runs
 * one at a time per key here; across nodes, unique indexes settle the rest.
 */
export function keyedQueue(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<void>>();
  return async (key, work) => {
    const previous = tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
    tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}

/**
 * One queue per moderation case: a report's recount and a case's closing never interleave on a
 * node, so a report that lands while its case closes is either closed with it or reopens it.
 */
export const inCaseQueue = keyedQueue();
