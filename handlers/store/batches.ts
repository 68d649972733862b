/**
 * Writes that need no order between them, gathered: whatever arrives while one write is in
 * flight goes in the next, one database command for the lot (the sends' group commit, in
 * group-commit.ts, does the same for messages, with seqs besides). One write alone costs no
 * wait: it leaves at the end of its turn of the event loop. A storm of joins into one chat
 * thus costs a few inserts and counts, not one of each per join; with several nodes, it asks
 * the other nodes a few questions (server/transport/socket.ts), not one per join.
 */

/** What one gathered write did for one of its items. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * `write` takes the items gathered, in arrival order, at most `most` of them (the rest go in
 * the next write: one write holds the embedded database's single writer for a bounded time),
 * and answers an outcome for each, in the same order; if it throws, every item of the batch
 * fails with that error.
 */
export function gathered<In, Out>(
  write: (items: In[]) => Promise<Array<Outcome<Out>>>,
  { most = Infinity }: { most?: number } = {},
): (item: In) => Promise<Out> {
  interface Waiting {
    item: In;
    resolve(value: Out): void;
    reject(error: unknown): void;
  }
  const waiting: Waiting[] = [];
  let busy = false;

  const flush = (): void => {
    if (busy || waiting.length === 0) return;
    busy = true;
    // The items of this turn of the event loop leave together.
    setImmediate(() => {
      const batch = waiting.splice(0, most);
      void settleBatch(batch).finally(() => {
        busy = false;
        flush();
      });
    });
  };

  const settleBatch = async (batch: Waiting[]): Promise<void> => {
    let outcomes: Array<Outcome<Out>>;
    try {
      outcomes = await write(batch.map((w) => w.item));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) w.resolve(outcome.value);
      else w.reject(outcome.error);
    });
  };

  return (item) =>
    new Promise<Out>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      flush();
    });
}
