/** Messages: history pages, the latest of a chat, and the changes moderation and authors make. New messages are stored by group commit (./group-commit.ts). */
import { MessageModel, type Message, type MessageDocument } from '../../models';
import { isId, objectId, type Id } from './db';

export type { Message, MessageDocument };
type Hidden = NonNullable<Message['hidden']>;

export function byId(messageId: string): Promise<MessageDocument | null> {
  return isId(messageId) ? MessageModel.findById(messageId).exec() : Promise.resolve(null);
}

/**
 * A page of a chat's messages in one direction of `seq`, newest first for `before` (or none),
 * oldest first for `after`; `limit` + 1 are read so the caller knows whether more lie beyond.
 * The hottest read: straight through the driver (every value is already typed, so mongoose's
 * casting and hydration would add about a millisecond to a page and nothing else).
 */
export function historyPage(
  chatId: Id,
  range: { before?: number | undefined; after?: number | undefined },
  limit: number,
): Promise<Message[]> {
  const forward = range.after !== undefined;
  const seq =
    range.after !== undefined ? { $gt: range.after } : range.before !== undefined ? { $lt: range.before } : undefined;
  return MessageModel.collection
    .find<Message>({ chatId: objectId(chatId), ...(seq ? { seq } : {}) })
    .sort({ seq: forward ? 1 : -1 })
    .limit(limit + 1)
    .toArray();
}

/** The latest message of a chat (a tombstone's too), or null when it has none. */
export function latest(chatId: Id): Promise<MessageDocument | null> {
  return MessageModel.findOne({ chatId: objectId(chatId) })
    .sort({ seq: -1 })
    .exec();
}

export async function latestSeq(chatId: Id): Promise<number> {
  const last = await MessageModel.findOne({ chatId: objectId(chatId) }, { seq: 1 })
    .sort({ seq: -1 })
    .lean();
  return last?.seq ?? 0;
}

/** What someone sent with `clientMsgId` in a chat, if it was stored. */
export function sentAs(senderId: Id, chatId: Id, clientMsgId: string): Promise<Message | null> {
  return MessageModel.findOne({ senderId: objectId(senderId), chatId: objectId(chatId), clientMsgId }).lean();
}

export async function hide(messageId: Id, hidden: Hidden | null): Promise<void> {
  await MessageModel.updateOne({ _id: messageId }, { $set: { hidden } });
}

export async function markDeleted(messageId: Id): Promise<void> {
  await MessageModel.updateOne({ _id: messageId }, { $set: { deletedAt: new Date() } });
}

/**
 * The author's new text, the earlier ones kept. The whole `edits` array is written back, not
 * pushed (no atomic updates on the embedded database): two edits at once keep the last writer's
 * history. False when the message was deleted or hidden meanwhile.
 */
export async function rewrite(
  messageId: Id,
  text: string,
  editedAt: Date,
  edits: Array<{ text: string; editedAt: Date }>,
): Promise<boolean> {
  const { modifiedCount } = await MessageModel.updateOne(
    { _id: messageId, deletedAt: null, hidden: null },
    { $set: { text, editedAt, edits } },
  );
  return modifiedCount > 0;
}

/** Everything someone wrote, oldest first (their data export). */
export function byAuthor(senderId: Id): Promise<MessageDocument[]> {
  return MessageModel.find({ senderId: objectId(senderId) })
    .sort({ createdAt: 1 })
    .exec();
}

export async function sentAt(messageId: string): Promise<Date | null> {
  if (!isId(messageId)) return null;
  return (await MessageModel.findById(messageId, { createdAt: 1 }).lean())?.createdAt ?? null;
}

/** A chat's messages, oldest first, at most `limit` (a legal request for a chat's content). */
export function ofChat(chatId: Id, limit: number): Promise<Message[]> {
  return MessageModel.collection
    .find<Message>({ chatId: objectId(chatId) })
    .sort({ seq: 1 })
    .limit(limit)
    .toArray();
}

/** A purge's scope: someone's messages, in one chat or all, sent in [since, until). */
export interface AuthorScope {
  senderId: Id;
  chatId: Id | null;
  since: Date | null;
  until: Date;
}

/** The messages a purge would hide: shown ones (not hidden, not deleted). Served by the (senderId, _id) index. */
function shownIn(scope: AuthorScope): Record<string, unknown> {
  return {
    senderId: objectId(scope.senderId),
    ...(scope.chatId === null ? {} : { chatId: objectId(scope.chatId) }),
    createdAt: scope.since === null ? { $lt: scope.until } : { $gte: scope.since, $lt: scope.until },
    hidden: null,
    deletedAt: null,
  };
}

/** How many messages of the scope are shown, per chat. */
export async function countShown(scope: AuthorScope): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const cursor = MessageModel.collection.find<{ chatId: Message['chatId'] }>(shownIn(scope), {
    projection: { chatId: 1 },
  });
  for await (const row of cursor) {
    const chatId = row.chatId.toString();
    counts.set(chatId, (counts.get(chatId) ?? 0) + 1);
  }
  return counts;
}

/**
 * Up to `limit` shown messages of the scope after `after` in `_id` order: the next batch of a purge.
 * The cursor keeps each batch from walking past the ones already hidden, so every batch costs the same.
 */
export function nextShown(scope: AuthorScope, after: Id | null, limit: number): Promise<Message[]> {
  const filter = shownIn(scope);
  if (after !== null) filter._id = { $gt: objectId(after) };
  return MessageModel.collection.find<Message>(filter).sort({ _id: 1 }).limit(limit).toArray();
}

/** Hides those of `ids` still shown; how many it hid. */
export async function hideMany(ids: Id[], hidden: Hidden): Promise<number> {
  const { modifiedCount } = await MessageModel.collection.updateMany(
    { _id: { $in: ids.map(objectId) }, hidden: null },
    { $set: { hidden } },
  );
  return modifiedCount;
}

/** Up to `limit` of someone's messages a given action hid, after `after` in `_id` order: the next batch of a restore. */
export function nextHiddenBy(senderId: Id, actionId: Id, after: Id | null, limit: number): Promise<Message[]> {
  const filter: Record<string, unknown> = { senderId: objectId(senderId), 'hidden.actionId': objectId(actionId) };
  if (after !== null) filter._id = { $gt: objectId(after) };
  return MessageModel.collection.find<Message>(filter).sort({ _id: 1 }).limit(limit).toArray();
}

/** Shows again those of `ids` that `actionId` hid; how many. */
export async function unhideMany(ids: Id[], actionId: Id): Promise<number> {
  const { modifiedCount } = await MessageModel.collection.updateMany(
    { _id: { $in: ids.map(objectId) }, 'hidden.actionId': objectId(actionId) },
    { $set: { hidden: null } },
  );
  return modifiedCount;
}

/**
 * The messages of a chat from `seq - before` to `seq + after`, tombstones included, in ascending `seq`:
 * seqs are gap-free, so the range is exact and the (chatId, seq) index serves it.
 */
export function around(chatId: Id, seq: number, before: number, after: number): Promise<Message[]> {
  return MessageModel.collection
    .find<Message>({ chatId: objectId(chatId), seq: { $gte: Math.max(1, seq - before), $lte: seq + after } })
    .sort({ seq: 1 })
    .toArray();
}
