/**
 * Retention (RETENTION_EVIDENCE_DAYS, RETENTION_AUDIT_DAYS): a periodic sweep, since the embedded
 * database has no TTL indexes. Evidence snapshots of closed cases are emptied; access-log entries
 * are deleted; audit entries stay (who did what, when, to what) but their reason text, the
 * facts written into statements of reasons and the texts of decided appeals are replaced.
 */
import { trusted, type Types } from 'mongoose';

import { AccessEntryModel, AppealModel, ModerationActionModel, ModerationCaseModel, ReportModel, StatementModel } from '../models';
import type { Logger } from './logger';

export interface RetentionSettings {
  evidenceDays: number;
  auditDays: number;
}

export interface RetentionSweep {
  evidenceEmptied: number;
  accessEntriesDeleted: number;
  auditReasonsRedacted: number;
  /** A moderator's free text can name people; statements keep their structured fields. */
  statementFactsRedacted: number;
  appealTextsRedacted: number;
}

/** What stands in place of a text removed after its retention period. */
export const REDACTED = '[removed after the retention period]';
const EMPTY_EVIDENCE = { text: null, senderId: null, seq: null, chatId: null, username: null, displayName: null, title: null, createdAt: null };
const SWEEP_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 86_400_000;

/** One sweep as of `now`; the test calls it directly with a `now` in the future. */
export async function sweepRetention(settings: RetentionSettings, now = new Date()): Promise<RetentionSweep> {
  const evidenceBefore = new Date(now.getTime() - settings.evidenceDays * DAY_MS);
  const auditBefore = new Date(now.getTime() - settings.auditDays * DAY_MS);

  const evidence = await emptyEvidence(evidenceBefore, now);
  const access = await AccessEntryModel.deleteMany({ at: trusted({ $lt: auditBefore }) });
  const reasons = await ModerationActionModel.updateMany({ createdAt: trusted({ $lt: auditBefore }), reason: trusted({ $ne: REDACTED }) }, { $set: { reason: REDACTED } });
  const facts = await StatementModel.updateMany(
    { createdAt: trusted({ $lt: auditBefore }), 'statement.decision_facts': trusted({ $ne: REDACTED }) },
    { $set: { 'statement.decision_facts': REDACTED } },
  );
  const appeals = await AppealModel.updateMany(
    { status: trusted({ $ne: 'open' }), decidedAt: trusted({ $lt: auditBefore }), text: trusted({ $ne: REDACTED }) },
    { $set: { text: REDACTED, decisionReason: REDACTED } },
  );
  return {
    evidenceEmptied: evidence,
    accessEntriesDeleted: access.deletedCount,
    auditReasonsRedacted: reasons.modifiedCount,
    statementFactsRedacted: facts.modifiedCount,
    appealTextsRedacted: appeals.modifiedCount,
  };
}

/** Closed cases are read this many ids at a time, so one sweep never holds them all. */
const CASE_PAGE = 500;

/**
 * Empties the evidence of reports resolved before `before` in cases closed now. A report is
 * resolved when its case closes; a case reopened by a new report keeps its older reports'
 * evidence until it closes again.
 */
async function emptyEvidence(before: Date, now: Date): Promise<number> {
  let emptied = 0;
  let after: Types.ObjectId | null = null;
  for (;;) {
    const filter: Record<string, unknown> = { status: trusted({ $ne: 'open' }), ...(after ? { _id: trusted({ $gt: after }) } : {}) };
    const page: Array<{ _id: Types.ObjectId }> = await ModerationCaseModel.find(filter, { _id: 1 }).sort({ _id: 1 }).limit(CASE_PAGE).lean();
    if (page.length === 0) return emptied;
    const { modifiedCount } = await ReportModel.updateMany(
      { caseId: trusted({ $in: page.map((c) => c._id) }), status: trusted({ $ne: 'open' }), resolvedAt: trusted({ $lt: before }), evidenceRemovedAt: null },
      { $set: { evidence: EMPTY_EVIDENCE, comment: null, evidenceRemovedAt: now } },
    );
    emptied += modifiedCount;
    if (page.length < CASE_PAGE) return emptied;
    after = page[page.length - 1]!._id;
  }
}

/**
 * Sweeps once an hour, and runs `chores` (work left unfinished by a failure, such as a deletion
 * whose last steps failed) at start and with every sweep; the timer never keeps the process alive.
 */
export function startRetentionSweeper(settings: RetentionSettings, log: Logger, chores: Array<() => Promise<unknown>> = []): { stop(): void } {
  const runChores = () => {
    for (const chore of chores) chore().catch((err: unknown) => log.error({ err }, 'periodic chore failed'));
  };
  const startup = setTimeout(runChores, 0);
  startup.unref();
  const timer = setInterval(() => {
    sweepRetention(settings).then(
      (swept) => log.info(swept, 'retention sweep'),
      (err: unknown) => log.error({ err }, 'retention sweep failed'),
    );
    runChores();
  }, SWEEP_EVERY_MS);
  timer.unref();
  return {
    stop: () => {
      clearTimeout(startup);
      clearInterval(timer);
    },
  };
}
