/** Reports (the moderation collection): one per reporter and target, each in its target's case. */
import { trusted, Types } from 'mongoose';

import {
  ReportModel,
  type CaseStatus,
  type Report,
  type ReportDocument,
  type ReportReason,
  type TargetType,
} from '../../models';
import { insertUnlessDuplicate, objectId, type Id } from './db';

export type { Report, ReportDocument };

/** A new report; null when this reporter already reported this target (the unique index decides). */
export function create(fields: {
  reporterId: Id;
  targetType: TargetType;
  targetId: string;
  chatId: Id | null;
  reason: ReportReason;
  comment: string | null;
  trustedFlagger: boolean;
  weight: number;
  evidence: Record<string, unknown>;
  caseId: Id;
}): Promise<ReportDocument | null> {
  return insertUnlessDuplicate(() => ReportModel.create(fields));
}

/** A case's reports, oldest first. */
export function ofCase(caseId: Id): Promise<ReportDocument[]> {
  return ReportModel.find({ caseId: objectId(caseId) })
    .sort({ createdAt: 1 })
    .exec();
}

/** What a case's counts are made of: each report's reason, weight, standing and status. */
export function tallyOf(caseId: Id): Promise<Array<Pick<Report, 'reason' | 'trustedFlagger' | 'weight' | 'status'>>> {
  return ReportModel.find({ caseId: objectId(caseId) }, { reason: 1, trustedFlagger: 1, weight: 1, status: 1 }).lean();
}

/** A case's reports still open: who to tell when it closes. */
export function openOf(caseId: Id): Promise<Array<Pick<Report, '_id' | 'reporterId'>>> {
  return ReportModel.find({ caseId: objectId(caseId), status: 'open' }, { reporterId: 1 }).lean();
}

export async function resolve(
  reportIds: Types.ObjectId[],
  outcome: Exclude<CaseStatus, 'open'>,
  resolvedBy: string,
): Promise<void> {
  if (reportIds.length === 0) return;
  await ReportModel.updateMany(
    { _id: trusted({ $in: reportIds }) },
    { $set: { status: outcome, resolvedAt: new Date(), resolvedBy } },
  );
}

/** The reporters of a case's dismissed reports. */
export async function dismissedReporters(caseId: Id): Promise<Types.ObjectId[]> {
  return (await ReportModel.find({ caseId: objectId(caseId), status: 'dismissed' }, { reporterId: 1 }).lean()).map(
    (r) => r.reporterId,
  );
}

/** Whether a trusted flagger reported in this case. */
export async function trustedFlaggerIn(caseId: Id): Promise<boolean> {
  return (await ReportModel.exists({ caseId: objectId(caseId), trustedFlagger: true })) !== null;
}

/** A page of the reports someone filed, newest first; `limit` + 1 are read. */
export function filedBy(reporterId: Id, before: string | undefined, limit: number): Promise<ReportDocument[]> {
  const filter: Record<string, unknown> = { reporterId: objectId(reporterId) };
  if (before) filter._id = trusted({ $lt: objectId(before) });
  return ReportModel.find(filter)
    .sort({ _id: -1 })
    .limit(limit + 1)
    .exec();
}

/** Every report someone filed, oldest first (their data export). */
export function allFiledBy(reporterId: Id): Promise<ReportDocument[]> {
  return ReportModel.find({ reporterId: objectId(reporterId) })
    .sort({ createdAt: 1 })
    .exec();
}

/** Someone's decided reports, upheld and dismissed, since `since` (or ever). */
export async function recordOf(reporterId: Id, since?: Date): Promise<{ upheld: number; dismissed: number }> {
  const id = objectId(reporterId);
  const window = since ? { resolvedAt: trusted({ $gte: since }) } : {};
  const [upheld, dismissed] = await Promise.all([
    ReportModel.countDocuments({ reporterId: id, status: 'actioned', ...window }),
    ReportModel.countDocuments({ reporterId: id, status: 'dismissed', ...window }),
  ]);
  return { upheld, dismissed };
}

export function filedIn(
  from: Date,
  to: Date,
): Promise<Array<Pick<Report, 'reason' | 'targetType' | 'trustedFlagger'>>> {
  return ReportModel.find(
    { createdAt: trusted({ $gte: from, $lt: to }) },
    { reason: 1, targetType: 1, trustedFlagger: 1 },
  ).lean();
}

const EMPTY_EVIDENCE = {
  text: null,
  senderId: null,
  seq: null,
  chatId: null,
  username: null,
  displayName: null,
  title: null,
  createdAt: null,
};

/**
 * Empties the evidence and comment of the closed cases' reports resolved before `before`, but for
 * reports about a target (or in a chat) a preservation hold keeps (`held`); returns how many.
 */
export async function emptyEvidence(
  caseIds: Types.ObjectId[],
  before: Date,
  now: Date,
  held: string[] = [],
): Promise<number> {
  const { modifiedCount } = await ReportModel.updateMany(
    {
      caseId: trusted({ $in: caseIds }),
      status: trusted({ $ne: 'open' }),
      resolvedAt: trusted({ $lt: before }),
      evidenceRemovedAt: null,
      ...(held.length === 0
        ? {}
        : { targetId: trusted({ $nin: held }), chatId: trusted({ $nin: held.map((id) => new Types.ObjectId(id)) }) }),
    },
    { $set: { evidence: EMPTY_EVIDENCE, comment: null, evidenceRemovedAt: now } },
  );
  return modifiedCount;
}

/** Reports about a target, oldest first, at most `limit` (a legal request's moderation data). */
export function about(targetId: string, limit: number): Promise<ReportDocument[]> {
  return ReportModel.find({ targetId }).sort({ createdAt: 1 }).limit(limit).exec();
}
