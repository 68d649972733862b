/**
 * What authorizes an event, kept on this node so that a send reads nothing: accounts,
 * chats and memberships as stored. Every handler that writes one of them calls
 * `realtime.invalidate` with its keys, which clears them here and on every other node
 * (and lets the sends already authorized finish) before the write's ack. Bans, mutes
 * and suspensions keep their `until`, compared at use time, so one that runs out
 * needs no invalidation.
 */
import { Types, type Document } from 'mongoose';

import { ChatModel, MembershipModel, UserModel, type Chat, type Membership, type User } from '../../models';
import { LruMap } from './lru';

/**
 * A stored document as the cache shares it: its fields (schema defaults applied) and the `id`
 * string a mongoose document has, as plain data. Every reader gets the same object, so nobody
 * may change it (it is frozen); a handler that changes one writes to the database and invalidates.
 * `id` is typed as mongoose types a document's, so that a document passes for one too.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mongoose types a document's `id` as any
export type Shared<T> = Readonly<T & { _id: Types.ObjectId; id?: any }>;
export type SharedAccount = Shared<User>;
export type SharedChat = Shared<Chat>;
export type SharedMembership = Shared<Membership>;

/** Bounded: the least recently used entries go first. */
const MAX_ENTRIES = 50_000;
/** A safety net only: invalidation is what keeps entries true. */
const MAX_AGE_MS = 60_000;

export const cacheKeys = {
  account: (userId: string): string => `account:${userId}`,
  chat: (chatId: string): string => `chat:${chatId}`,
  membership: (chatId: string, userId: string): string => `membership:${chatId}:${userId}`,
  /** A scope's automatic filters (handlers/filters.ts): `platform` or a chat's id. */
  rules: (scope: string): string => `rules:${scope}`,
};

/** Other per-node caches that forget with this one (the filters' compiled rules), on every node. */
const forgetListeners: Array<(keys: string[]) => void> = [];
export function onForget(listener: (keys: string[]) => void): void {
  forgetListeners.push(listener);
}

interface Entry {
  /** The stored document (null: no such membership). */
  shared: object | null;
  at: number;
}

const entries = new LruMap<string, Entry>(MAX_ENTRIES);
/** Moves on with every invalidation: a read that began before one must not fill the cache. */
let generation = 0;
/** Sends between their authorization and their store: an invalidation waits for them. */
const authorizedWork = new Set<Promise<unknown>>();

/** The account, or null if there is none. */
export function cachedAccount(userId: string): Promise<SharedAccount | null> {
  if (!Types.ObjectId.isValid(userId)) return Promise.resolve(null);
  return cached(cacheKeys.account(userId), () => UserModel.findById(userId), { rememberMissing: false });
}

export function cachedChat(chatId: string): Promise<SharedChat | null> {
  if (!Types.ObjectId.isValid(chatId)) return Promise.resolve(null);
  return cached(cacheKeys.chat(chatId), () => ChatModel.findById(chatId), { rememberMissing: false });
}

/** Someone's row in a chat, whatever its status; null (remembered too) if they never joined. */
export function cachedMembership(chatId: string, userId: string): Promise<SharedMembership | null> {
  return cached(cacheKeys.membership(chatId, userId), () => MembershipModel.findOne({ chatId, userId }), {
    rememberMissing: true,
  });
}

/**
 * The entry for `key`, else what `load` reads, remembered unless an invalidation came in
 * between. Accounts and chats that do not exist are not remembered: their ids may be made
 * up by anyone.
 */
async function cached<T>(
  key: string,
  load: () => PromiseLike<Document | null>,
  { rememberMissing }: { rememberMissing: boolean },
): Promise<Shared<T> | null> {
  const hit = entries.get(key);
  if (hit && Date.now() - hit.at < MAX_AGE_MS) return hit.shared as Shared<T> | null;
  const before = generation;
  const doc = await load();
  const shared = doc ? asShared<T>(doc) : null;
  if ((shared || rememberMissing) && generation === before) remember(key, shared);
  return shared;
}

function remember(key: string, shared: object | null): void {
  entries.set(key, { shared, at: Date.now() });
}

/** The document's fields with defaults applied, and its `id`, in the form the cache shares. */
export function asShared<T>(doc: Document): Shared<T> {
  return deepFreeze({ ...doc.toObject({ depopulate: true }), id: doc.id as string }) as Shared<T>;
}

/** Freezes plain objects and arrays all the way down (ObjectIds and Dates are values here). */
function deepFreeze<T>(value: T): T {
  if (
    Array.isArray(value) ||
    (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
  ) {
    for (const inner of Object.values(value as object)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Runs authorized work (a send) so that an invalidation on this node waits for it to finish. */
export function asAuthorizedWork<T>(work: Promise<T>): Promise<T> {
  authorizedWork.add(work);
  const done = () => authorizedWork.delete(work);
  work.then(done, done);
  return work;
}

/**
 * Forgets `keys` on this node, then waits for the sends authorized before: once it
 * resolves, nothing authorized on the old facts is still to be stored.
 */
export async function forgetAuthorization(keys: string[]): Promise<void> {
  generation += 1;
  for (const key of keys) entries.delete(key);
  for (const listener of forgetListeners) listener(keys);
  await Promise.allSettled([...authorizedWork]);
}
