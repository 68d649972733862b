/**
 * The audit log (moderationactions): appended to, never changed, except that an entry whose effect
 * could not be written is withdrawn and old reasons are redacted after the retention period.
 */
import { trusted, Types } from 'mongoose';

import {
  ModerationActionModel,
  type ActionType,
  type ModerationAction,
  type ModerationActionDocument,
} from '../../models';
import { insertUnlessDuplicate, isId, objectId, type Id } from './db';

export type { ModerationAction, ModerationActionDocument };
export type NewAction = Pick<
  ModerationAction,
  'type' | 'actorId' | 'actorRole' | 'targetType' | 'targetId' | 'reason'
> &
  Partial<Pick<ModerationAction, 'chatId' | 'caseId' | 'durationSec' | 'until' | 'appealId' | 'count'>>;

/**
 * Appends one entry. With `onceKey`, only the first of racing callers does (the others get null):
 * the unique dedupKey is the guard, the one kind the embedded database keeps reliably.
 */
export function append(
  entry: NewAction & { _id?: Types.ObjectId; createdAt?: Date },
  onceKey?: string,
): Promise<ModerationActionDocument | null> {
  const dedupKey = onceKey ?? new Types.ObjectId().toHexString();
  return insertUnlessDuplicate(() => ModerationActionModel.create({ ...entry, dedupKey }));
}

/** Takes back an entry whose effect could not be written, so that the log never shows what did not happen. */
export async function withdraw(actionId: Id): Promise<void> {
  await ModerationActionModel.deleteOne({ _id: actionId });
}

export function byId(actionId: string): Promise<ModerationActionDocument | null> {
  return isId(actionId) ? ModerationActionModel.findById(actionId).exec() : Promise.resolve(null);
}

export function byIds(actionIds: Id[]): Promise<ModerationActionDocument[]> {
  return ModerationActionModel.find({ _id: trusted({ $in: actionIds.map(objectId) }) }).exec();
}

/** The log newest first, filtered by target, actor, time and (for chat admins) chats. */
export function page(query: {
  targetId?: string | undefined;
  actorId?: string | undefined;
  before?: string | undefined;
  chatIds?: Types.ObjectId[] | undefined;
  limit: number;
}): Promise<ModerationActionDocument[]> {
  const filter: Record<string, unknown> = {};
  if (query.targetId) filter.targetId = query.targetId;
  if (query.actorId) filter.actorId = query.actorId;
  if (query.before) filter.createdAt = trusted({ $lt: new Date(query.before) });
  if (query.chatIds) filter.chatId = trusted({ $in: query.chatIds });
  return ModerationActionModel.find(filter).sort({ createdAt: -1 }).limit(query.limit).exec();
}

/** Whether an account was ever suspended. */
export async function everSuspended(userId: string): Promise<boolean> {
  return (await ModerationActionModel.exists({ type: 'suspend_account', targetId: userId })) !== null;
}

/** Whether an action of `type` was taken against `targetId` since `since`. */
export async function takenSince(type: ActionType, targetId: string, since: Date): Promise<boolean> {
  return (await ModerationActionModel.exists({ type, targetId, createdAt: trusted({ $gte: since }) })) !== null;
}

export function takenIn(
  from: Date,
  to: Date,
): Promise<Array<Pick<ModerationAction, 'type' | 'actorRole' | 'caseId' | 'createdAt'>>> {
  return ModerationActionModel.find(
    { createdAt: trusted({ $gte: from, $lt: to }) },
    { type: 1, actorRole: 1, caseId: 1, createdAt: 1 },
  ).lean();
}

/** Of these cases, those with an action before `before`. */
export async function casesActedOnBefore(caseIds: string[], before: Date): Promise<Set<string>> {
  const rows = await ModerationActionModel.find(
    { caseId: trusted({ $in: caseIds.map(objectId) }), createdAt: trusted({ $lt: before }) },
    { caseId: 1 },
  ).lean();
  return new Set(rows.map((a) => String(a.caseId)));
}

/** Replaces the reason text of entries older than `before`, but for targets a preservation hold keeps; returns how many. */
export async function redactReasons(before: Date, redacted: string, held: string[] = []): Promise<number> {
  const { modifiedCount } = await ModerationActionModel.updateMany(
    {
      createdAt: trusted({ $lt: before }),
      reason: trusted({ $ne: redacted }),
      ...(held.length === 0 ? {} : { targetId: trusted({ $nin: held }) }),
    },
    { $set: { reason: redacted } },
  );
  return modifiedCount;
}

/** Every action taken on a target, oldest first, at most `limit` (a legal request's moderation data). */
export function about(targetId: string, limit: number): Promise<ModerationActionDocument[]> {
  return ModerationActionModel.find({ targetId }).sort({ createdAt: 1 }).limit(limit).exec();
}
