/** Gathered writes (joins' inserts and count moves): what arrives during one write goes in the next, each answered for itself. */
import { gathered, type Outcome } from '../handlers/store/batches';

/** A write that records each batch it got and answers when `release` is called. */
function recordingWrite() {
  const batches: number[][] = [];
  const releases: Array<() => void> = [];
  const write = (items: number[]) => {
    batches.push(items);
    return new Promise<Array<Outcome<number>>>((resolve) =>
      releases.push(() =>
        resolve(items.map((n) => (n < 0 ? { ok: false, error: new Error(`no ${n}`) } : { ok: true, value: n * 10 }))),
      ),
    );
  };
  return { batches, releases, write };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

test('items of one turn go together; those arriving while it is written go in the next; each gets its own outcome', async () => {
  const { batches, releases, write } = recordingWrite();
  const add = gathered(write);
  const first = [add(1), add(2), add(-3)];
  await turn();
  expect(batches).toEqual([[1, 2, -3]]);
  const second = [add(4), add(5)];
  await turn();
  // Still one write in flight: the next waits for it.
  expect(batches).toHaveLength(1);
  releases[0]!();
  await expect(first[0]).resolves.toBe(10);
  await expect(first[1]).resolves.toBe(20);
  await expect(first[2]).rejects.toThrow('no -3');
  await turn();
  expect(batches).toEqual([
    [1, 2, -3],
    [4, 5],
  ]);
  releases[1]!();
  await expect(Promise.all(second)).resolves.toEqual([40, 50]);
});

test('a write that throws fails every item of its batch, and the next batch is written all the same', async () => {
  let calls = 0;
  const add = gathered(async (items: number[]) => {
    calls += 1;
    if (calls === 1) throw new Error('database gone');
    return items.map((value): Outcome<number> => ({ ok: true, value }));
  });
  const failed = [add(1), add(2)];
  await expect(Promise.all(failed.map((p) => p.catch((err: Error) => err.message)))).resolves.toEqual([
    'database gone',
    'database gone',
  ]);
  await expect(add(3)).resolves.toBe(3);
});

test('a write takes at most `most` items; the rest follow in the next, in their order', async () => {
  const batches: number[][] = [];
  const add = gathered(
    async (items: number[]) => {
      batches.push(items);
      return items.map((value): Outcome<number> => ({ ok: true, value }));
    },
    { most: 2 },
  );
  await expect(Promise.all([add(1), add(2), add(3), add(4), add(5)])).resolves.toEqual([1, 2, 3, 4, 5]);
  expect(batches).toEqual([[1, 2], [3, 4], [5]]);
});
