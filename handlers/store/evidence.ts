/** Sealed evidence: records written before content is removed, read back with their hashes. */
import { trusted } from 'mongoose';

import { EvidenceModel, type Evidence, type EvidenceDocument } from '../../models';
import { objectId, type Id } from './db';

export type { Evidence, EvidenceDocument };

export type NewEvidence = Pick<Evidence, 'kind' | 'targetId' | 'canonical' | 'sha256'> & {
  chatId: Id;
  authorId: Id | null;
};

/** Seals records for `actionId`; sealing the same target for the same action again changes nothing. */
export async function seal(actionId: Id, sealedAt: Date, records: NewEvidence[]): Promise<void> {
  if (records.length === 0) return;
  const docs = records.map((r) => ({
    ...r,
    chatId: objectId(r.chatId),
    authorId: r.authorId === null ? null : objectId(r.authorId),
    actionId: objectId(actionId),
    sealedAt,
  }));
  try {
    await EvidenceModel.insertMany(docs, { ordered: false });
  } catch (err) {
    // A retry of a batch already sealed: the unique (actionId, targetId) index keeps one of each.
    const writeErrors = (err as { writeErrors?: Array<{ code?: number; err?: { code?: number } }> }).writeErrors;
    const allDuplicates = Array.isArray(writeErrors) && writeErrors.every((e) => (e.code ?? e.err?.code) === 11000);
    if (!allDuplicates) throw err;
  }
}

/** Takes back what was sealed for an action whose effect could not be written. */
export async function withdraw(actionId: Id): Promise<void> {
  await EvidenceModel.deleteMany({ actionId: objectId(actionId) });
}

export function ofAction(actionId: Id, limit: number): Promise<EvidenceDocument[]> {
  return EvidenceModel.find({ actionId: objectId(actionId) })
    .sort({ _id: 1 })
    .limit(limit)
    .exec();
}

/**
 * Deletes records sealed before `before` that no hold keeps (`heldUntil`, or a preservation hold
 * in force on their target, chat or author: `held`); returns how many.
 */
export async function expire(before: Date, now: Date, held: string[] = []): Promise<number> {
  const heldIds = held.map(objectId);
  const { deletedCount } = await EvidenceModel.deleteMany({
    sealedAt: trusted({ $lt: before }),
    heldUntil: trusted({ $not: { $gt: now } }),
    ...(held.length === 0
      ? {}
      : {
          targetId: trusted({ $nin: held }),
          chatId: trusted({ $nin: heldIds }),
          authorId: trusted({ $nin: heldIds }),
        }),
  });
  return deletedCount;
}

/** The targets of the evidence sealed from these people's messages (a preservation hold on a person reaches them). */
export async function targetsByAuthors(authorIds: string[]): Promise<string[]> {
  if (authorIds.length === 0) return [];
  const rows = await EvidenceModel.find(
    { authorId: trusted({ $in: authorIds.map(objectId) }) },
    { targetId: 1 },
  ).lean();
  return [...new Set(rows.map((r) => r.targetId))];
}
