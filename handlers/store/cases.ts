/** Moderation cases: one per reported target, its counts kept from its reports. */
import { trusted, type Types } from 'mongoose';

import {
  ModerationCaseModel,
  type CaseStatus,
  type ModerationCase,
  type ModerationCaseDocument,
  type TargetType,
} from '../../models';
import { insertUnlessDuplicate, isId, objectId, type Id } from './db';

export type { ModerationCase, ModerationCaseDocument };

export function byId(caseId: string): Promise<ModerationCaseDocument | null> {
  return isId(caseId) ? ModerationCaseModel.findById(caseId).exec() : Promise.resolve(null);
}

/** The case about a target, whatever its status; null if it was never reported. */
export function about(targetType: TargetType, targetId: string): Promise<ModerationCaseDocument | null> {
  return ModerationCaseModel.findOne({ targetType, targetId }).exec();
}

/** The one case of a target, opened by a unique insert so that concurrent first reports share it. */
export async function openFor(target: {
  targetType: TargetType;
  targetId: string;
  chatId: Id | null;
  reportedUserId: string | null;
}): Promise<ModerationCaseDocument> {
  const existing = await about(target.targetType, target.targetId);
  if (existing) return existing;
  const now = new Date();
  const created = await insertUnlessDuplicate(() =>
    ModerationCaseModel.create({ ...target, firstReportedAt: now, lastReportedAt: now }),
  );
  const winner = created ?? (await about(target.targetType, target.targetId));
  if (!winner) throw new Error(`the case about ${target.targetType} ${target.targetId} is neither new nor stored`);
  return winner;
}

export async function statusOf(caseId: Id): Promise<CaseStatus | null> {
  return (await ModerationCaseModel.findById(caseId, { status: 1 }).lean())?.status ?? null;
}

/** Writes a case's recounted figures (never an $inc: the embedded database's updates are not atomic). */
export async function saveCounts(
  caseId: Id,
  counts: Pick<
    ModerationCase,
    'reportCount' | 'trustedReports' | 'weight' | 'priority' | 'status' | 'lastReportedAt'
  > & { reasons: Partial<Record<string, number>> },
): Promise<void> {
  await ModerationCaseModel.updateOne({ _id: caseId }, { $set: counts });
}

export async function setStatus(caseId: Id, status: CaseStatus): Promise<void> {
  await ModerationCaseModel.updateOne({ _id: caseId }, { $set: { status } });
}

/**
 * The moderation queue, highest priority first, never a case about `viewerId` themselves.
 * `chatIds` limits it to those chats' cases; `messagesOnly` to reported messages;
 * `excludeChats` leaves out the cases about those chats (the viewer runs them).
 */
export function queue(query: {
  viewerId: string;
  status?: CaseStatus | undefined;
  chatIds?: Types.ObjectId[] | undefined;
  messagesOnly?: boolean;
  excludeChats?: Types.ObjectId[] | undefined;
  limit: number;
}): Promise<ModerationCaseDocument[]> {
  const filter: Record<string, unknown> = { reportedUserId: trusted({ $ne: query.viewerId }) };
  if (query.status) filter.status = query.status;
  if (query.chatIds) filter.chatId = query.chatIds.length === 1 ? query.chatIds[0] : trusted({ $in: query.chatIds });
  if (query.messagesOnly) filter.targetType = 'message';
  if (query.excludeChats && query.excludeChats.length > 0) {
    filter.$nor = trusted([{ targetType: 'chat', targetId: { $in: query.excludeChats.map((id) => id.toString()) } }]);
  }
  return ModerationCaseModel.find(filter).sort({ priority: -1, lastReportedAt: -1 }).limit(query.limit).exec();
}

/** When each of these cases was first reported. */
export async function firstReported(caseIds: string[]): Promise<Map<string, Date>> {
  const rows = await ModerationCaseModel.find(
    { _id: trusted({ $in: caseIds.map(objectId) }) },
    { firstReportedAt: 1 },
  ).lean();
  return new Map(rows.map((c) => [c._id.toString(), c.firstReportedAt]));
}

/** A page of closed cases' ids, in id order after `after`. */
export async function closedIds(after: Types.ObjectId | null, limit: number): Promise<Types.ObjectId[]> {
  const filter: Record<string, unknown> = {
    status: trusted({ $ne: 'open' }),
    ...(after ? { _id: trusted({ $gt: after }) } : {}),
  };
  return (await ModerationCaseModel.find(filter, { _id: 1 }).sort({ _id: 1 }).limit(limit).lean()).map((c) => c._id);
}
