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
