/** Chats: named reads and writes. */
import { trusted, type Types } from 'mongoose';

import { ChatModel, type Chat, type ChatDocument, type ChatType, type ChatVisibility } from '../../models';
import { gathered, type Outcome } from './batches';
import { isId, objectId, type Id } from './db';

export type { Chat, ChatDocument };

export function byId(chatId: string): Promise<ChatDocument | null> {
  return isId(chatId) ? ChatModel.findById(chatId).exec() : Promise.resolve(null);
}

export function byIds(chatIds: Id[]): Promise<ChatDocument[]> {
  return ChatModel.find({ _id: trusted({ $in: chatIds.map(objectId) }) }).exec();
}

/** A new chat with no members yet: its owner's membership counts the first. */
export function create(fields: {
  type: ChatType;
  title: string;
  description: string;
  visibility: ChatVisibility;
  ownerId: Id;
}): Promise<ChatDocument> {
  return ChatModel.create({ ...fields, memberCount: 0 });
}

/**
 * Moves a chat's member count by `delta` and returns the count after: one atomic $inc on MongoDB
 * and on the embedded database (its patch set makes updates atomic), whatever the chat's size.
 * Moves that arrive together are gathered into one $inc per chat, and each is answered the count
 * just after it, in the order they came: a storm of joins costs a few writes to the chat, not one each.
 */
export function countMembers(chatId: Id, delta: 1 | -1): Promise<number> {
  return gatheredCountMoves({ chatId: objectId(chatId), delta });
}

const gatheredCountMoves = gathered<{ chatId: Types.ObjectId; delta: 1 | -1 }, number>(async (moves) => {
  const byChat = new Map<string, number[]>();
  moves.forEach((move, i) => {
    const key = move.chatId.toString();
    const indexes = byChat.get(key);
    if (indexes) indexes.push(i);
    else byChat.set(key, [i]);
  });
  const outcomes: Array<Outcome<number>> = [];
  await Promise.all(
    [...byChat.values()].map(async (indexes) => {
      const total = indexes.reduce((sum, i) => sum + moves[i]!.delta, 0);
      try {
        const after = await ChatModel.findOneAndUpdate(
          { _id: moves[indexes[0]!]!.chatId },
          { $inc: { memberCount: total } },
          { new: true },
        ).lean();
        // No such chat: nobody is counted.
        let count = after ? (after.memberCount ?? 0) - total : 0;
        for (const i of indexes) {
          if (after) count += moves[i]!.delta;
          outcomes[i] = { ok: true, value: count };
        }
      } catch (error) {
        for (const i of indexes) outcomes[i] = { ok: false, error };
      }
    }),
  );
  return outcomes;
});

/** The kept member count of a chat. */
export async function memberCount(chatId: Id): Promise<number> {
  return (await ChatModel.findById(chatId, { memberCount: 1 }).lean())?.memberCount ?? 0;
}

/** Chats stored before their count was kept (a count of null). */
export async function uncounted(limit: number): Promise<Types.ObjectId[]> {
  return (await ChatModel.find({ memberCount: null }, { _id: 1 }).limit(limit).lean()).map((c) => c._id);
}

export async function setMemberCount(chatId: Id, memberCount: number): Promise<void> {
  await ChatModel.updateOne({ _id: chatId, memberCount: null }, { $set: { memberCount } });
}

/**
 * Claims the right to announce `memberCount` in a large group: true for the one caller (on any
 * node) whose count differs from the last announced and whose interval has passed.
 */
export async function claimAnnouncement(
  chatId: Id,
  memberCount: number,
  intervalMs: number,
  now = new Date(),
): Promise<boolean> {
  const { modifiedCount } = await ChatModel.updateOne(
    {
      _id: objectId(chatId),
      announcedCount: trusted({ $ne: memberCount }),
      // `$not: {$gt}` also matches a chat never announced (null).
      announcedAt: trusted({ $not: { $gt: new Date(now.getTime() - intervalMs) } }),
    },
    { $set: { announcedCount: memberCount, announcedAt: now } },
  );
  return modifiedCount > 0;
}

export async function idByInviteCode(inviteCode: string): Promise<string | null> {
  return (await ChatModel.findOne({ inviteCode }, { _id: 1 }).lean())?._id.toString() ?? null;
}

/** Stores `inviteCode` unless the chat has one already; returns the code stored either way. */
export async function settleInviteCode(chatId: Id, inviteCode: string): Promise<string> {
  await ChatModel.updateOne({ _id: chatId, inviteCode: null }, { $set: { inviteCode } });
  return (await ChatModel.findById(chatId, { inviteCode: 1 }).lean())?.inviteCode ?? inviteCode;
}

export async function update(
  chatId: Id,
  changes: Partial<Pick<Chat, 'title' | 'description' | 'slowModeSec'>>,
): Promise<void> {
  await ChatModel.updateOne({ _id: chatId }, { $set: changes }, { runValidators: true });
}

export async function setOwner(chatId: Id, ownerId: Id): Promise<void> {
  await ChatModel.updateOne({ _id: chatId }, { $set: { ownerId: objectId(ownerId) } });
}

/** Of `chatIds`, the groups. */
export async function groupIdsAmong(chatIds: Id[]): Promise<string[]> {
  if (chatIds.length === 0) return [];
  return (await ChatModel.find({ _id: trusted({ $in: chatIds.map(objectId) }), type: 'group' }, { _id: 1 }).lean()).map(
    (c) => c._id.toString(),
  );
}

type Closed = NonNullable<Chat['closed']>;

/** Closes a chat that is open; false when it was closed already (another moderator got there first). */
export async function close(chatId: Id, closed: Closed): Promise<boolean> {
  const { modifiedCount } = await ChatModel.updateOne({ _id: objectId(chatId), closed: null }, { $set: { closed } });
  return modifiedCount > 0;
}

/** Reopens a closed chat; false when it was open already. */
export async function reopen(chatId: Id): Promise<boolean> {
  const { modifiedCount } = await ChatModel.updateOne(
    { _id: objectId(chatId), closed: trusted({ $ne: null }) },
    { $set: { closed: null } },
  );
  return modifiedCount > 0;
}

/** Of `chatIds`, the closed ones. */
export async function closedAmong(chatIds: Id[]): Promise<Set<string>> {
  if (chatIds.length === 0) return new Set();
  const rows = await ChatModel.find(
    { _id: trusted({ $in: chatIds.map(objectId) }), closed: trusted({ $ne: null }) },
    { _id: 1 },
  ).lean();
  return new Set(rows.map((c) => c._id.toString()));
}

/** More words than this in a search add nothing but cost. */
const MAX_SEARCH_WORDS = 8;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Public chats whose title has, for each word of `q`, a word starting with it (any case), newest
 * first. The embedded database has no text index: this reads every chat, fine for thousands.
 */
export function searchPublic(q: string, before: string | undefined, limit: number): Promise<ChatDocument[]> {
  const words = q.split(/\s+/).filter(Boolean).slice(0, MAX_SEARCH_WORDS);
  const filter: Record<string, unknown> = {
    visibility: 'public',
    // A closed chat is unlisted.
    closed: null,
    $and: words.map((word) => ({ title: trusted({ $regex: `(^|\\s)${escapeRegExp(word)}`, $options: 'i' }) })),
  };
  if (before !== undefined) filter._id = trusted({ $lt: objectId(before) });
  return ChatModel.find(filter).sort({ _id: -1 }).limit(limit).exec();
}

/** Raid protection: a chat's own thresholds (null: the configured defaults). */
export async function setRaidSettings(
  chatId: Id,
  settings: Partial<Pick<Chat, 'raidJoins' | 'raidWindowSec'>>,
): Promise<void> {
  await ChatModel.updateOne({ _id: objectId(chatId) }, { $set: settings });
}

/** Raid mode on until `until`, unless it is on already; false when another request put it on first. */
export async function enterRaid(chatId: Id, raid: { since: Date; until: Date; joins: number }): Promise<boolean> {
  const { modifiedCount } = await ChatModel.updateOne(
    { _id: objectId(chatId), $or: trusted([{ raid: null }, { 'raid.until': trusted({ $lt: raid.since }) }]) },
    { $set: { raid: { ...raid, approved: [] } } },
  );
  return modifiedCount > 0;
}

/** An admin lets `userId` join while raid mode lasts. */
export async function approveRaidJoin(chatId: Id, userId: string): Promise<void> {
  await ChatModel.updateOne({ _id: objectId(chatId) }, { $addToSet: { 'raid.approved': userId } });
}
