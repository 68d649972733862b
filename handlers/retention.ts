/**
 * Retention (RETENTION_EVIDENCE_DAYS, RETENTION_AUDIT_DAYS): what a sweep removes, since the
 * embedded database has no TTL indexes (server/retention.ts runs it every hour). Evidence
 * snapshots of closed cases are emptied; access-log entries are deleted; audit entries stay (who
 * did what, when, to what) but their reason text, the facts written into statements of reasons
 * and the texts of decided appeals are replaced.
 */
import * as accessLog from './store/access-log';
import * as actions from './store/actions';
import * as appeals from './store/appeals';
import * as cases from './store/cases';
import * as sealed from './store/evidence';
import * as reports from './store/reports';
import * as statements from './store/statements';
import { heldIds } from './legal-requests';

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
  /** Sealed evidence past RETENTION_EVIDENCE_DAYS that no preservation hold keeps. */
  evidenceExpired: number;
}

/** What stands in place of a text removed after its retention period. */
export const REDACTED = '[removed after the retention period]';
const DAY_MS = 86_400_000;
/** Closed cases are read this many ids at a time, so one sweep never holds them all. */
const CASE_PAGE = 500;

/** One sweep as of `now`; the test calls it directly with a `now` in the future. */
export async function sweepRetention(settings: RetentionSettings, now = new Date()): Promise<RetentionSweep> {
  const evidenceBefore = new Date(now.getTime() - settings.evidenceDays * DAY_MS);
  const auditBefore = new Date(now.getTime() - settings.auditDays * DAY_MS);
  // What preservation holds in force keep: their targets' evidence, reports and audit entries.
  const held = [...(await heldIds(now))];
  return {
    evidenceEmptied: await emptyEvidence(evidenceBefore, now, held),
    accessEntriesDeleted: await accessLog.deleteBefore(auditBefore),
    auditReasonsRedacted: await actions.redactReasons(auditBefore, REDACTED, held),
    statementFactsRedacted: await statements.redactFactsBefore(auditBefore, REDACTED),
    appealTextsRedacted: await appeals.redactDecidedBefore(auditBefore, REDACTED),
    evidenceExpired: await sealed.expire(evidenceBefore, now, held),
  };
}

/**
 * Empties the evidence of reports resolved before `before` in cases closed now, a page of cases
 * at a time. A report is resolved when its case closes; a case reopened by a new report keeps its
 * older reports' evidence until it closes again.
 */
async function emptyEvidence(before: Date, now: Date, held: string[]): Promise<number> {
  let emptied = 0;
  for (
    let page = await cases.closedIds(null, CASE_PAGE);
    page.length > 0;
    page = await cases.closedIds(page[page.length - 1]!, CASE_PAGE)
  ) {
    emptied += await reports.emptyEvidence(page, before, now, held);
    if (page.length < CASE_PAGE) break;
  }
  return emptied;
}
