/** Statements of reasons kept for the people acted against (notices). */
import { trusted } from 'mongoose';

import { NoticeModel, type Notice, type NoticeDocument } from '../../models';
import { insertUnlessDuplicate, objectId, type Id } from './db';

export type { Notice, NoticeDocument };

/** Stores a notice once per person and action; a repeat returns the one stored. */
export async function storeOnce(fields: Omit<Notice, '_id' | 'readAt'>): Promise<NoticeDocument> {
  const created = await insertUnlessDuplicate(() => NoticeModel.create(fields));
  if (created) return created;
  const stored = await NoticeModel.findOne({ userId: fields.userId, actionId: fields.actionId }).exec();
  if (!stored) throw new Error('a notice is neither new nor stored');
  return stored;
}

/** The notice that makes `userId` the person `actionId` concerns. */
export function of(userId: Id, actionId: Id): Promise<NoticeDocument | null> {
  return NoticeModel.findOne({ userId: objectId(userId), actionId: objectId(actionId) }).exec();
}

/** A page of someone's notices, newest first; `limit` + 1 are read. */
export function page(
  userId: Id,
  query: { unreadOnly?: boolean | undefined; before?: string | undefined; limit: number },
): Promise<NoticeDocument[]> {
  const filter: Record<string, unknown> = { userId: objectId(userId) };
  if (query.unreadOnly) filter.readAt = null;
  if (query.before) filter._id = trusted({ $lt: objectId(query.before) });
  return NoticeModel.find(filter)
    .sort({ _id: -1 })
    .limit(query.limit + 1)
    .exec();
}

/** Marks someone's notices read; ids not theirs or already read are left alone. */
export async function markRead(userId: Id, ids: string[]): Promise<number> {
  const { modifiedCount } = await NoticeModel.updateMany(
    { _id: trusted({ $in: ids.map(objectId) }), userId: objectId(userId), readAt: null },
    { $set: { readAt: new Date() } },
  );
  return modifiedCount;
}

/** Someone's newest unread notices, at most `limit`, oldest first. */
export async function unread(userId: Id, limit: number): Promise<NoticeDocument[]> {
  return (
    await NoticeModel.find({ userId: objectId(userId), readAt: null })
      .sort({ _id: -1 })
      .limit(limit)
      .exec()
  ).reverse();
}

export function allOf(userId: Id): Promise<NoticeDocument[]> {
  return NoticeModel.find({ userId: objectId(userId) })
    .sort({ createdAt: 1 })
    .exec();
}

export async function eraseAllOf(userId: Id): Promise<void> {
  await NoticeModel.deleteMany({ userId: objectId(userId) });
}
