/**
 * What every store module shares: how the database reports a duplicate, and ids from the wire.
 * Only inserts under a unique index report duplicates reliably on the embedded database (its
 * updates are read-modify-write), so every guard of the store is such an insert.
 */
import { Types } from 'mongoose';

export const isDuplicateKeyError = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;

/** The documents an unordered insert could not store, by their index in it, each with its error; null when the failure is not documents'. */
export function writeErrorsOf(err: unknown): Array<{ index: number; error: { code?: unknown } }> | null {
  const writeErrors = (err as { writeErrors?: unknown }).writeErrors;
  const list = (Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : []) as Array<{
    index?: unknown;
    code?: unknown;
  }>;
  if (list.length === 0 || list.some((e) => typeof e.index !== 'number')) return null;
  return list.map((e) => ({ index: e.index as number, error: e }));
}

/** The document `create` stores, or null when a unique index already holds its key. */
export async function insertUnlessDuplicate<T>(create: () => Promise<T>): Promise<T | null> {
  try {
    return await create();
  } catch (err) {
    if (isDuplicateKeyError(err)) return null;
    throw err;
  }
}

export type Id = Types.ObjectId | string;

/** An id as the database stores it. */
export const objectId = (id: Id): Types.ObjectId => (typeof id === 'string' ? new Types.ObjectId(id) : id);

/** Whether a string from a client can be an id at all (anything else is simply not found). */
export const isId = (id: string): boolean => Types.ObjectId.isValid(id);

export { Types };
