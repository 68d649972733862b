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
import { chatAdmins } from './memberships';

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
  /** A chat's owner and admins (cachedChatAdmins). */
  chatAdmins: (chatId: string): string => `admins:${chatId}`,
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
/** Sends between their authorization and their store: an invalidation waits for them. */
const authorizedWork = new Set<Promise<unknown>>();

/** The account, or null if there is none. */
export function cachedAccount(userId: string): Promise<SharedAccount | null> {
  if (!Types.ObjectId.isValid(userId)) return Promise.resolve(null);
  return cached(cacheKeys.account(userId), () => UserModel.findById(userId).then(sharedOrNull<User>), {
    rememberMissing: false,
  });
}

/** The account as stored now, read whatever this node knows, and remembered: a handshake's read serves its socket's first event. */
export function freshAccount(userId: string): Promise<SharedAccount | null> {
  if (!Types.ObjectId.isValid(userId)) return Promise.resolve(null);
  return read(cacheKeys.account(userId), () => UserModel.findById(userId).then(sharedOrNull<User>), false);
}

export function cachedChat(chatId: string): Promise<SharedChat | null> {
  if (!Types.ObjectId.isValid(chatId)) return Promise.resolve(null);
  return cached(cacheKeys.chat(chatId), () => ChatModel.findById(chatId).then(sharedOrNull<Chat>), {
    rememberMissing: false,
  });
}

/** Someone's row in a chat, whatever its status; null (remembered too) if they never joined. */
export function cachedMembership(chatId: string, userId: string): Promise<SharedMembership | null> {
  return cached(cacheKeys.membership(chatId, userId), loadMembership(chatId, userId), { rememberMissing: true });
}

/** Someone's row in a chat as stored now, read whatever this node knows, and remembered. */
export function freshMembership(chatId: string, userId: string): Promise<SharedMembership | null> {
  return read(cacheKeys.membership(chatId, userId), loadMembership(chatId, userId), true);
}

const loadMembership = (chatId: string, userId: string) => () =>
  MembershipModel.findOne({ chatId, userId }).then(sharedOrNull<Membership>);

/** Someone's row in a chat as this node knows it (null: known not to exist); undefined when only a read would tell. */
export function knownMembership(chatId: string, userId: string): SharedMembership | null | undefined {
  const hit = entries.get(cacheKeys.membership(chatId, userId));
  return hit && Date.now() - hit.at < MAX_AGE_MS ? (hit.shared as SharedMembership | null) : undefined;
}

/**
 * The ids of a chat's active owner and admins, for telling them of joins and leaves in a large
 * group. Whatever changes who they are (a chat created, a role changed, one of them leaving, banned
 * or kicked, an account deleted) invalidates `cacheKeys.chatAdmins`.
 */
export async function cachedChatAdmins(chatId: string): Promise<readonly string[]> {
  const load = async () => deepFreeze(await chatAdmins(chatId));
  return (await cached(cacheKeys.chatAdmins(chatId), load, { rememberMissing: false })) ?? [];
}

const sharedOrNull = <T>(doc: Document | null): Shared<T> | null => (doc ? asShared<T>(doc) : null);

/** Reads in flight, by key: callers of one key at once share its read; a key forgotten meanwhile is read again. */
const reading = new Map<string, { shared: Promise<object | null>; forgotten: boolean }>();

/**
 * The entry for `key`, else what `load` reads. Accounts and chats that do not exist are not
 * remembered: their ids may be made up by anyone.
 */
function cached<T extends object>(
  key: string,
  load: () => Promise<T | null>,
  { rememberMissing }: { rememberMissing: boolean },
): Promise<T | null> {
  const hit = entries.get(key);
  if (hit && Date.now() - hit.at < MAX_AGE_MS) return Promise.resolve(hit.shared as T | null);
  const inFlight = reading.get(key);
  if (inFlight) return inFlight.shared as Promise<T | null>;
  return read(key, load, rememberMissing);
}

/** Reads `key` and remembers what it read, unless the key was forgotten before the read came back. */
function read<T extends object>(
  key: string,
  load: () => Promise<T | null>,
  rememberMissing: boolean,
): Promise<T | null> {
  const shared = load();
  const flight = { shared, forgotten: false };
  reading.set(key, flight);
  const landed = () => {
    if (reading.get(key) === flight) reading.delete(key);
  };
  shared.then((value) => {
    landed();
    if ((value || rememberMissing) && !flight.forgotten) remember(key, value);
  }, landed);
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
  for (const key of keys) {
    entries.delete(key);
    const flight = reading.get(key);
    if (flight) flight.forgotten = true;
    reading.delete(key);
  }
  for (const listener of forgetListeners) listener(keys);
  await Promise.allSettled([...authorizedWork]);
}
