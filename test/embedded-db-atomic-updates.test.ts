/**
 * Each update, findAndModify and delete statement on the embedded database is atomic, as on MongoDB
 * (patch 0005): FerretDB applies update operators in Go between reading a document and writing it back,
 * so without the patch concurrent increments get lost and racing conditional updates both match.
 * Raw driver operations on scratch documents, many at once on one document.
 */
import mongoose, { type mongo } from 'mongoose';

import { connectDatabase } from '../handlers/store/connection';
import { dropTestDatabase } from './support/harness';

interface Counter {
  _id: string;
  n?: number;
  state?: string;
}

let counters: mongo.Collection<Counter>;

beforeAll(async () => {
  await connectDatabase(process.env.STOA_TEST_MONGODB_URI!, 'test_embedded_db_atomic_updates');
  counters = mongoose.connection.db!.collection<Counter>('atomic_counters');
});
afterAll(() => dropTestDatabase());

/** Runs `count` operations at once (each started before any is awaited). */
function together<T>(count: number, operation: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => operation(i)));
}

test('200 concurrent $inc of one document all count, round after round', async () => {
  for (let round = 0; round < 4; round++) {
    const _id = `inc-${round}`;
    await counters.insertOne({ _id, n: 0 });
    const results = await together(200, () => counters.updateOne({ _id }, { $inc: { n: 1 } }));
    expect(results.every((r) => r.matchedCount === 1 && r.modifiedCount === 1)).toBe(true);
    expect(await counters.findOne({ _id })).toEqual({ _id, n: 200 });
  }
});

test('of 50 racing conditional updates of one document exactly one matches, and its value stays', async () => {
  for (let round = 0; round < 4; round++) {
    const _id = `state-${round}`;
    await counters.insertOne({ _id, state: 'a' });
    const results = await together(50, (i) => counters.updateOne({ _id, state: 'a' }, { $set: { state: `b${i}` } }));
    const winners = results.flatMap((r, i) => (r.modifiedCount === 1 ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.matchedCount === 1)).toHaveLength(1);
    expect(await counters.findOne({ _id })).toEqual({ _id, state: `b${winners[0]}` });
  }
});

test('100 concurrent findOneAndUpdate $inc with returnDocument "after" return 1..100, each once', async () => {
  const _id = 'find-and-modify';
  await counters.insertOne({ _id, n: 0 });
  const returned = await together(100, () =>
    counters.findOneAndUpdate({ _id }, { $inc: { n: 1 } }, { returnDocument: 'after' }),
  );
  const values = returned.map((doc) => doc?.n ?? -1).sort((a, b) => a - b);
  expect(values).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  expect(await counters.findOne({ _id })).toEqual({ _id, n: 100 });
});

test('concurrent $inc 1 and $inc -1 pairs leave the value unchanged', async () => {
  for (let round = 0; round < 3; round++) {
    const _id = `pairs-${round}`;
    await counters.insertOne({ _id, n: 1000 });
    await together(200, (i) => counters.updateOne({ _id }, { $inc: { n: i % 2 === 0 ? 1 : -1 } }));
    expect(await counters.findOne({ _id })).toEqual({ _id, n: 1000 });
  }
});

test('a conditional update racing a conditional delete of the same document: exactly one takes effect', async () => {
  for (let round = 0; round < 20; round++) {
    const _id = `delete-${round}`;
    await counters.insertOne({ _id, state: 'a' });
    const [deleted, updated] = await Promise.all([
      counters.deleteOne({ _id, state: 'a' }),
      counters.updateOne({ _id, state: 'a' }, { $set: { state: 'b' } }),
    ]);
    expect(deleted.deletedCount + updated.modifiedCount).toBe(1);
    expect(await counters.findOne({ _id })).toEqual(deleted.deletedCount === 1 ? null : { _id, state: 'b' });
  }
});
