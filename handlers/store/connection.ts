import mongoose from 'mongoose';

import { ALL_MODELS } from '../../models';

// Client input never becomes a query operator, and unknown fields never reach a filter.
// Operators the server itself builds are wrapped in mongoose.trusted().
mongoose.set('sanitizeFilter', true);
mongoose.set('strictQuery', true);
// A stack trace captured at every query's start only serves the message of a query run twice, a
// programming error; capturing it cost a join storm about 1% of the server's CPU.
mongoose.set('skipOriginalStackTraces', true);

/** Connects mongoose and makes sure every model's indexes exist (the unique ones carry correctness). */
export async function connectDatabase(
  uri: string,
  dbName?: string,
  options: { monitorCommands?: boolean } = {},
): Promise<typeof mongoose> {
  await mongoose.connect(uri, {
    ...(dbName ? { dbName } : {}),
    autoIndex: false,
    serverSelectionTimeoutMS: 10_000,
    // Tests count the round trips of an operation from the driver's command events.
    monitorCommands: options.monitorCommands === true,
  });
  for (const model of ALL_MODELS) await model.createIndexes();
  return mongoose;
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}

/** True while the database answers a ping. */
export async function databaseAnswers(timeoutMs = 2000): Promise<boolean> {
  const db = mongoose.connection.db;
  if (!db || mongoose.connection.readyState !== 1) return false;
  try {
    await Promise.race([
      db.admin().ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('ping timed out')), timeoutMs).unref()),
    ]);
    return true;
  } catch {
    return false;
  }
}
