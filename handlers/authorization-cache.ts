/**
 * What authorizes an event, kept on this node so that a send reads nothing: accounts,
 * chats and memberships as stored. Every handler that writes one of them calls
 * `realtime.invalidate` with its keys, which clears them here and on every other node
 * (and lets the sends already authorized finish) before the write's ack. Bans, mutes
 * and suspensions keep their `until`, compared at use time, so one that runs out
 * needs no invalidation.
 */
import { Types } from 'mongoose';

import { ChatModel, MembershipModel, UserModel, type ChatDocument, type MembershipDocument, type UserDocument } from '../models';

/** Bounded: the oldest entries go first. */
const MAX_ENTRIES = 50_000;
/** A safety net only: invalidation is what keeps entries true. */
const MAX_AGE_MS = 60_000;

export const cacheKeys = {
  account: (userId: string): string => `account:${userId}`,
  chat: (chatId: string): string => `chat:${chatId}`,
  membership: (chatId: string, userId: string): string => `membership:${chatId}:${userId}`,
};

interface Entry {
  /** The stored document as a plain object (null: no such membership); each reader gets its own copy. */
  stored: Record<string, unknown> | null;
  at: number;
}

const entries = new Map<string, Entry>();
/** Moves on with every invalidation: a read that began before one must not fill the cache. */
let generation = 0;
/** Sends between their authorization and their store: an invalidation waits for them. */
const authorizedWork = new Set<Promise<unknown>>();

async function cached(key: string, load: () => Promise<Record<string, unknown> | null>): Promise<Record<string, unknown> | null> {
  const hit = entries.get(key);
  if (hit && Date.now() - hit.at < MAX_AGE_MS) return hit.stored;
  const before = generation;
  const stored = await load();
  if (generation === before) remember(key, stored);
  return stored;
}

function remember(key: string, stored: Record<string, unknown> | null): void {
  entries.delete(key);
  entries.set(key, { stored, at: Date.now() });
  if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
}

/** The account, or null if there is none (never cached: an unknown id costs a read each time). */
export async function cachedAccount(userId: string): Promise<UserDocument | null> {
  if (!Types.ObjectId.isValid(userId)) return null;
  const stored = await loadCached(cacheKeys.account(userId), () => UserModel.findById(userId).lean());
  return stored ? UserModel.hydrate(stored) : null;
}

export async function cachedChat(chatId: string): Promise<ChatDocument | null> {
  if (!Types.ObjectId.isValid(chatId)) return null;
  const stored = await loadCached(cacheKeys.chat(chatId), () => ChatModel.findById(chatId).lean());
  return stored ? ChatModel.hydrate(stored) : null;
}

/** Someone's row in a chat, whatever its status; null (cached too) if they never joined. */
export async function cachedMembership(chatId: string, userId: string): Promise<MembershipDocument | null> {
  const key = cacheKeys.membership(chatId, userId);
  const stored = await cached(key, async () => (await MembershipModel.findOne({ chatId, userId }).lean()) as Record<string, unknown> | null);
  return stored ? MembershipModel.hydrate(stored) : null;
}

/** Accounts and chats that do not exist are not remembered: their ids may be made up by anyone. */
async function loadCached(key: string, load: () => PromiseLike<unknown>): Promise<Record<string, unknown> | null> {
  const hit = entries.get(key);
  if (hit && Date.now() - hit.at < MAX_AGE_MS) return hit.stored;
  const before = generation;
  const stored = (await load()) as Record<string, unknown> | null;
  if (stored && generation === before) remember(key, stored);
  return stored;
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
  await Promise.allSettled([...authorizedWork]);
}
