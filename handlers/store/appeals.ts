/** Appeals: one per action and person, decided once by another platform moderator. */
import { trusted } from 'mongoose';

import { AppealModel, type Appeal, type AppealDocument, type AppealStatus } from '../../models';
import { insertUnlessDuplicate, isId, objectId, type Id } from './db';

export type { Appeal, AppealDocument };

/** A new appeal; null when this person already appealed this action (the unique index decides). */
export function create(
  fields: Pick<Appeal, 'actionId' | 'appellantId' | 'actionType' | 'actionActorId' | 'chatId' | 'text'>,
): Promise<AppealDocument | null> {
  return insertUnlessDuplicate(() => AppealModel.create(fields));
}

export function byId(appealId: string): Promise<AppealDocument | null> {
  return isId(appealId) ? AppealModel.findById(appealId).exec() : Promise.resolve(null);
}

/** Appeals oldest first, never those on `moderatorId`'s own actions nor their own. */
export function queueFor(
  moderatorId: string,
  status: AppealStatus | undefined,
  limit: number,
): Promise<AppealDocument[]> {
  const filter: Record<string, unknown> = {
    actionActorId: trusted({ $ne: moderatorId }),
    appellantId: trusted({ $ne: objectId(moderatorId) }),
  };
  if (status) filter.status = status;
  return AppealModel.find(filter).sort({ createdAt: 1 }).limit(limit).exec();
}

export async function decide(appealId: Id, decided: Partial<Appeal>): Promise<void> {
  await AppealModel.updateOne({ _id: appealId }, { $set: decided });
}

export function allBy(appellantId: Id): Promise<AppealDocument[]> {
  return AppealModel.find({ appellantId: objectId(appellantId) })
    .sort({ createdAt: 1 })
    .exec();
}

export function filedIn(from: Date, to: Date): Promise<number> {
  return AppealModel.countDocuments({ createdAt: trusted({ $gte: from, $lt: to }) }).exec();
}

export function decidedIn(from: Date, to: Date): Promise<Array<Pick<Appeal, 'status'>>> {
  return AppealModel.find({ decidedAt: trusted({ $gte: from, $lt: to }) }, { status: 1 }).lean();
}

/** Replaces the texts of appeals decided before `before`; returns how many. */
export async function redactDecidedBefore(before: Date, redacted: string): Promise<number> {
  const { modifiedCount } = await AppealModel.updateMany(
    { status: trusted({ $ne: 'open' }), decidedAt: trusted({ $lt: before }), text: trusted({ $ne: redacted }) },
    { $set: { text: redacted, decisionReason: redacted } },
  );
  return modifiedCount;
}
